"""Clients generated from docs/openapi.json, as a team that generates its client would:
openapi-python-client (pinned, dev extra) makes a Python package without a warning, which then
validates a text and synthesises a sentence against a real server; openapi-typescript (npm) turns
the document into TypeScript types that compile, where Node and the npm registry are reachable."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import issue_key
from servers import serving

from orato.api.app import create_app
from orato.settings import Settings

pytestmark = pytest.mark.slow
DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
# Audio answers are bytes to a client, whatever their media type.
CONFIG = "content_type_overrides:\n  audio/wav: application/octet-stream\n  audio/mpeg: application/octet-stream\n"
OPENAPI_TYPESCRIPT = "openapi-typescript@7.13"


def _run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    # The generator formats its output with ruff, which lives beside this interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("python-client")
    (folder / "config.yml").write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    done = _run([str(generator), "generate", "--path", str(DOCUMENT), "--meta", "none",
                 "--output-path", str(folder / "orato_client"), "--config", str(folder / "config.yml")], folder, 300)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower() and "skipping" not in output.lower(), output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("orato_client")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "orato_client" or n.startswith("orato_client.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("client-server"), secret_key="c", preload_engine=False))
    with serving(app) as base:
        yield base, issue_key(app, "generated-client-org")


def test_the_generated_python_client_validates_a_text_and_synthesises_a_sentence(
    generated: ModuleType, server: tuple[str, str]
) -> None:
    validate = importlib.import_module("orato_client.api.assessment.validate_text_api_validating_text_version_json_post")
    speech = importlib.import_module("orato_client.api.synthesis.speech_v1_audio_speech_post")
    models = importlib.import_module("orato_client.models")
    base, key = server
    client = generated.AuthenticatedClient(base_url=base, token=key)

    known = validate.sync(client=client, version="v9", text="Kate likes lamb.")
    assert isinstance(known, models.ValidateTextSuccess) and known.status == "success"
    unknown = validate.sync_detailed(client=client, version="v9", text="Kate likes zorblax.")
    assert unknown.status_code == 402
    assert isinstance(unknown.parsed, models.AssessmentError)
    assert unknown.parsed.short_message.value == "error_unknown_words" and unknown.parsed.detail_message == "zorblax"

    body = models.SpeechRequest(text="Kate likes lamb.", model="piper/default", voice="en_US-joe-medium")
    spoken = speech.sync_detailed(client=client, body=body)
    assert spoken.status_code == 200
    assert spoken.headers["content-type"] == "audio/wav" and spoken.content[:4] == b"RIFF"
    assert int(spoken.headers["x-audio-duration-ms"]) > 500


def test_openapi_typescript_turns_the_document_into_types_that_compile(tmp_path: Path) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if not (npm and node):
        pytest.skip("Node.js and npm are needed for openapi-typescript (apt-get install nodejs npm)")
    installed = _run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", OPENAPI_TYPESCRIPT], tmp_path, 300)
    if installed.returncode != 0:
        pytest.skip(f"npm could not install {OPENAPI_TYPESCRIPT} (no registry reachable?): {installed.stderr[-300:]}")
    binaries = tmp_path / "node_modules" / ".bin"
    made = _run([str(binaries / "openapi-typescript"), str(DOCUMENT), "-o", "orato.d.ts"], tmp_path, 120)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "warn" not in (made.stdout + made.stderr).lower(), made.stdout + made.stderr
    types = (tmp_path / "orato.d.ts").read_text()
    assert '"/api/validating/text/{version}/json"' in types and "TextScoreSuccess" in types
    compiled = _run([str(binaries / "tsc"), "--noEmit", "--strict", "orato.d.ts"], tmp_path, 120)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
