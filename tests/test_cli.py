"""The admin CLI's exact commands and output shapes, which scripts rely on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from orato.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ORATO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ORATO_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_keys_create_prints_the_key_alone_on_the_last_line(run) -> None:
    result = run("keys", "create", "--org", "acme", "--plan", "basic")
    assert result.exit_code == 0
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("orato_") and " " not in last
    listing = run("keys", "list").stdout
    assert "acme" in listing and "basic" in listing and "active" in listing
    assert last not in listing  # the key is shown once, never listed


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
