"""The shipped writing scores measured through the endpoint on the held-out prompts (issue 11).

    python -m training.writing_eval --data ../shared/data/ellipse-train

Every essay of the prompts ``training.text_traits`` keeps back (touched by no choice) is posted
to ``POST /api/scoring/writing/v9/json`` in process (``essay-writing``, the prompt asked as its
full question, ``training.prompt_questions``), and each score of the ``speechace`` rubric (0-100,
20 points a step of ELLIPSE's 1-5 scale) is compared with its raters' trait: Pearson, and RMSE on
the 1-5 scale next to predicting the development essays' mean (``baseline_rmse``). Essays longer
than the contract's answer limit are answered 400 and are counted apart, not scored. Each scored
essay is posted again with the next held-out prompt's question: its task response must fall
(issue 11).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.settings import Settings
from orato.text.traits import POINTS_PER_STEP
from training.prompt_questions import question
from training.text_corpus import Essay, load_essays
from training.text_traits import evaluate, held_out_prompts

PATH = "/api/scoring/writing/v9/json"
# Each score of the wire's speechace rubric and the raters' trait it is measured against.
AGAINST = {"grammar": "Grammar", "vocab": "Vocabulary", "coherence": "Cohesion", "task_response": "Overall",
           "overall": "Overall"}  # fmt: skip


@dataclass(frozen=True)
class Scored:
    """What the endpoint said of the essays it scored, and how many it refused."""

    essays: list[Essay]
    own: list[dict[str, int]]  # the speechace rubric against the essay's own prompt
    other: list[dict[str, int]]  # ... and against another prompt's
    refused: int


def scores_of(essays: Sequence[Essay]) -> Scored:
    prompts = sorted({e.prompt for e in essays})
    kept: list[tuple[Essay, dict[str, int], dict[str, int]]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir), secret_key="writing-eval", preload_engine=False))
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {app.state.services.keys.issue('writing-eval').secret}"

            def post(prompt: str, essay: Essay) -> dict[str, int] | None:
                document = {"prompt": question(prompt), "answer": essay.text}
                response = client.post(f"{PATH}?task_type=essay-writing", json=document)
                return response.json()["writing_score"]["speechace"] if response.status_code == 200 else None

            for essay in essays:
                own = post(essay.prompt, essay)
                other = post(prompts[(prompts.index(essay.prompt) + 1) % len(prompts)], essay) if own is not None else None
                if own is not None and other is not None:
                    kept.append((essay, own, other))
    return Scored([k[0] for k in kept], [k[1] for k in kept], [k[2] for k in kept], len(essays) - len(kept))


def report(data: Path) -> dict[str, object]:
    essays = load_essays(data)
    held = held_out_prompts(essays)
    test = [e for e in essays if e.prompt in held]
    scored = scores_of(test)
    figures: dict[str, object] = {"held_out_essays": len(test), "scored": len(scored.essays), "refused": scored.refused}
    for metric, trait in AGAINST.items():
        estimate = np.array([s[metric] for s in scored.own]) / POINTS_PER_STEP
        truth = np.array([e.scores[trait] for e in scored.essays])
        constant = float(np.mean([e.scores[trait] for e in essays if e.prompt not in held]))
        figures[metric] = {"against": trait, **evaluate(estimate, truth, constant)}
    own = np.array([s["task_response"] for s in scored.own])
    other = np.array([s["task_response"] for s in scored.other])
    figures["task_response_own_vs_other_prompt"] = {
        "mean_own": round(float(own.mean()), 1), "mean_other": round(float(other.mean()), 1),
        "share_lower_with_other": round(float(np.mean(other < own)), 4),
    }  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the ellipse-train folder")
    print(json.dumps(report(parser.parse_args().data), indent=1))


if __name__ == "__main__":
    main()
