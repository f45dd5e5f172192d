"""Score writing through the real API: a 300-word essay scored with feedback (issue 11's
p50 <= 0.5 s target on this machine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from bench.registry import scenario
from orato.api.app import create_app
from orato.settings import Settings

# A learner-like essay written for the benchmark, with a few planted errors; 300 words.
_ESSAY = (
    "Some people think that students should be able to take classes from home by distance learning. "
    "I agree with this idea for several reasons, but I also think it has some problems. First, students "
    "who is sick or who live far from the school can still follow the lessons, so they do not miss "
    "important information. For example, my friend broke his leg last year and he watched every class "
    "online, so he did not fall behind. Second, online classes lets students work at their own pace. "
    "If a lesson is difficult, they can watch the video again and take notes carefully. However, distance "
    "learning also have disadvantages. Students at home can be distracted by their phones, their brothers "
    "and sisters, or the television. Moreover, they do not see their friends, and they can feel lonely "
    "and lose motivation. Teachers also find it harder to know if a student understand the lesson, "
    "because they cannot see the faces of the whole class. In addition, not every family have a good "
    "computer or a fast internet connection, which is unfair for poorer students. In my opinion, the best "
    "solution is a mix of both. Schools could offer online classes for students who really need them, "
    "and keep the classroom for everyone else. Teachers could record their lessons, so students can "
    "review them later, and schools could lend laptops to families who do not have one. Some students "
    "may also prefer to study at home because it is quiet, but they still need a teacher who guide them "
    "and check their progress regularly. In conclusion, "
    "distance learning is a useful tool, but it should not replace the classroom completely, because "
    "students learn better when they can ask questions, work together and share ideas with their "
    "classmates and teachers every day at school."
)


@scenario("score-writing-essay-300-feedback")
def score_writing_essay(workdir: Path) -> Callable[[], object]:
    """POST /api/scoring/writing/v9/json: a 300-word essay, include_feedback=1 (in-process ASGI, SQLite)."""
    app = create_app(Settings(data_dir=workdir / "data", secret_key="bench", preload_engine=False))
    key = app.state.services.keys.issue("bench").secret
    client = TestClient(app)
    document = {"prompt": "Is distance learning good for students?", "answer": _ESSAY, "include_feedback": True}

    def run() -> object:
        response = client.post("/api/scoring/writing/v9/json", params={"key": key, "task_type": "essay-writing"}, json=document)
        assert response.status_code == 200, response.text
        return response

    return run
