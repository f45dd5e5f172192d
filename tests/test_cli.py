"""The admin CLI's exact commands and output shapes, which scripts rely on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import hygiene
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from orato.api.app import create_app
from orato.cli import main
from orato.settings import Settings


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ORATO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ORATO_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_keys_create_prints_the_key_and_nothing_else(run) -> None:
    result = run("keys", "create", "--org", "acme", "--plan", "basic")
    assert result.exit_code == 0
    key = result.stdout.removesuffix("\n")
    assert key.startswith("orato_") and " " not in key and "\n" not in key
    assert "plan basic" in result.stderr  # the key's id and plan are for people: stderr
    listing = run("keys", "list").stdout
    assert "acme" in listing and "basic" in listing and "active" in listing
    assert key not in listing  # the key is shown once, never listed


def test_the_real_cli_on_a_fresh_data_dir_prints_only_a_key_that_authenticates(tmp_path: Path) -> None:
    """A fresh data dir runs every migration, whose log lines must stay off stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORATO_")}
    env["ORATO_DATA_DIR"] = str(tmp_path / "data")
    created = subprocess.run(
        [sys.executable, "-m", "orato.cli", "keys", "create", "--org", "acme"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )
    assert "Running upgrade" in created.stderr, "the migrations ran and logged"
    lines = created.stdout.splitlines()
    assert len(lines) == 1 and created.stdout == lines[0] + "\n"
    hygiene.sent(lines[0])
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data", preload_engine=False)))
    answer = client.get("/v1/organization", headers={"Authorization": f"Bearer {lines[0]}"})
    assert answer.status_code == 200 and answer.json()["data"]["name"] == "acme"


def test_revoke(run) -> None:
    run("keys", "create", "--org", "acme")
    key_id = run("keys", "list").stdout.splitlines()[1].split()[0]
    assert run("keys", "revoke", key_id).exit_code == 0
    assert "revoked" in run("keys", "list").stdout
    assert run("keys", "revoke", "00000000-0000-4000-8000-000000000000").exit_code != 0


def test_orgs_create_refuses_duplicates(run) -> None:
    assert run("orgs", "create", "acme").exit_code == 0
    duplicate = run("orgs", "create", "acme")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_unknown_plan_is_refused(run) -> None:
    assert run("keys", "create", "--org", "acme", "--plan", "gold").exit_code != 0


def test_providers_disable_and_enable(run, tmp_path: Path) -> None:
    import uuid

    from orato.settings import Settings
    from orato.store import Database
    from orato.store.providers import ProviderStateStore

    acme = uuid.UUID(run("orgs", "create", "acme").stdout.strip())
    other = uuid.UUID(run("orgs", "create", "other").stdout.strip())
    states = ProviderStateStore(Database(Settings(data_dir=tmp_path / "data").resolved_database_url))
    assert "enabled=False" in run("providers", "disable", "--org", "acme", "openai").stdout
    assert "managed_allowed=False" in run("providers", "managed", "--org", "acme", "--deny", "openai").stdout
    assert states.flags(acme, "openai").enabled is False and states.flags(acme, "openai").managed_allowed is False
    assert states.flags(other, "openai").enabled is True
    assert run("providers", "enable", "--org", "acme", "openai").exit_code == 0
    assert states.flags(acme, "openai").enabled is True
    assert run("providers", "disable", "--org", "acme", "nobody").exit_code != 0
    assert run("providers", "disable", "--org", "nobody", "piper").exit_code != 0
