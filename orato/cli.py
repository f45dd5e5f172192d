"""The `orato` command: run the server and administer organisations and keys.

The command names and output shapes are relied on by scripts, so they change only with care.
Stdout carries only a command's machine-readable result (`orato keys create` prints exactly the
new key, one line); logs, notes for people and errors go to stderr.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orato.errors import InvalidParametersError, OratoError
from orato.settings import Settings
from orato.store import Database, KeyService

if TYPE_CHECKING:  # the scoring modules load models' libraries: imported when a command needs them
    from orato.scoring.batch import BatchItem, BatchSummary
    from orato.scoring.cluster import RayPool
    from orato.scoring.pool import ScoringPool

DEV_ORGANISATION = "development"


def _store() -> tuple[Database, Settings]:
    settings = Settings()
    db = Database(settings.resolved_database_url)
    db.migrate()
    return db, settings


def _keys() -> KeyService:
    return KeyService(*_store())


def _fail_on_orato_error(action: object) -> None:
    try:
        action()  # type: ignore[operator]
    except OratoError as error:
        raise click.ClickException(error.detail) from None


@click.group()
@click.version_option(package_name="orato")
def main() -> None:
    """Orato: self-hosted speech assessment and synthesis API."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option(
    "--dev",
    is_flag=True,
    help=f"Issue a key for the '{DEV_ORGANISATION}' organisation on first start and print it.",
)
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Run the HTTP server."""
    import uvicorn

    keys = _keys()  # migrates the database before workers start
    if dev:
        _print_development_key(keys)
    uvicorn.run(
        "orato.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # uvicorn's access log would print the `key` query parameter
        log_level="info",
    )


def _print_development_key(keys: KeyService) -> None:
    existing = [k for k in keys.list() if k.organisation == DEV_ORGANISATION and k.revoked_at is None]
    if existing:
        click.echo(
            f"Development key already issued ({existing[0].prefix}...{existing[0].last_four}); "
            f"it is shown only once. New one: orato keys create --org {DEV_ORGANISATION}",
            err=True,
        )
        return
    issued = keys.issue(DEV_ORGANISATION)
    click.echo(f"Development organisation '{DEV_ORGANISATION}', plan {issued.plan}. API key (shown once):", err=True)
    click.echo(issued.secret)


@main.group()
def orgs() -> None:
    """Manage organisations."""


@orgs.command("create")
@click.argument("name")
def orgs_create(name: str) -> None:
    """Create an organisation."""
    _fail_on_orato_error(lambda: click.echo(_keys().create_organisation(name)))


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--org", "organisation", required=True, help="Organisation (created if needed).")
@click.option("--plan", default=None, help="A plan of the settings (basic, pro, premium unless configured).")
@click.option(
    "--max-in-flight",
    type=click.IntRange(min=1),
    default=None,
    help="Requests this key may have in flight at once (default: the plan's).",
)
def keys_create(organisation: str, plan: str | None, max_in_flight: int | None) -> None:
    """Issue a key: stdout is exactly the key; its id, organisation and plan go to stderr."""
    try:
        issued = _keys().issue(organisation, plan, max_in_flight=max_in_flight)
    except ValueError as error:  # an unknown plan
        raise click.ClickException(str(error)) from None
    click.echo(f"key id {issued.key_id}, organisation {issued.organisation}, plan {issued.plan}", err=True)
    click.echo(issued.secret)


@keys.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    rows = _keys().list()
    click.echo(f"{'ID':36}  {'ORGANISATION':20}  {'KEY':20}  {'PLAN':8}  STATE")
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        shown = f"{row.prefix}...{row.last_four}"
        click.echo(f"{row.id!s:36}  {row.organisation[:20]:20}  {shown:20}  {row.plan:8}  {state}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id (from `orato keys list`)."""
    _fail_on_orato_error(lambda: _keys().revoke(key_id))
    click.echo(f"revoked {key_id}")


@main.group()
def retention() -> None:
    """Delete stored data past its age."""


@retention.command("run")
def retention_run() -> None:
    """Delete old request logs, expired idempotency records and old stored audio, once."""
    from orato.retention import run_retention

    report = run_retention(*_store())
    click.echo(" ".join(f"{name}={count}" for name, count in report.as_dict().items()))


@main.group()
def providers() -> None:
    """Switch synthesis providers on or off for an organisation (api-synthesis.md 2.3)."""


def _set_provider(organisation: str, provider: str, **flags: bool) -> None:
    from orato.store.models import Organisation
    from orato.store.providers import ProviderStateStore
    from orato.synthesis.catalogue import PROVIDER_IDS

    if provider not in PROVIDER_IDS:
        raise click.ClickException(f"unknown provider; known: {', '.join(PROVIDER_IDS)}")
    db, _settings = _store()
    with db.session() as session:
        org = session.query(Organisation).filter(Organisation.name == organisation).one_or_none()
        if org is None:
            raise click.ClickException("no organisation has this name")
        organisation_id = org.id
    state = ProviderStateStore(db).set(organisation_id, provider, **flags)
    click.echo(f"{provider} for {organisation}: enabled={state.enabled} managed_allowed={state.managed_allowed}")


@providers.command("enable")
@click.option("--org", "organisation", required=True)
@click.argument("provider")
def providers_enable(organisation: str, provider: str) -> None:
    """Let the organisation route requests to PROVIDER."""
    _set_provider(organisation, provider, enabled=True)


@providers.command("disable")
@click.option("--org", "organisation", required=True)
@click.argument("provider")
def providers_disable(organisation: str, provider: str) -> None:
    """Refuse the organisation's requests to PROVIDER with 403 provider_disabled."""
    _set_provider(organisation, provider, enabled=False)


@providers.command("managed")
@click.option("--org", "organisation", required=True)
@click.option("--allow/--deny", default=True)
@click.argument("provider")
def providers_managed(organisation: str, provider: str, allow: bool) -> None:
    """Allow or deny the organisation the operator's managed key for PROVIDER."""
    _set_provider(organisation, provider, managed_allowed=allow)


@main.command()
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("text")
@click.option("--dialect", default="en-us", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the endpoint's JSON instead of the report.")
def score(audio: Path, text: str, dialect: str, as_json: bool) -> None:
    """Score a recording against TEXT and print a colour-coded report."""
    from rich.console import Console

    from orato.scoring.batch import score_recording
    from orato.scoring.report import render

    body = score_recording(Settings(), audio, {"text": text, "dialect": dialect})
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False))
    else:
        Console().print(render(body))
    if body["status"] != "success":
        sys.exit(1)


@main.command("score-speech")
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dialect", default="en-us", show_default=True)
@click.option("--relevance-context", help="The question the speaker answered (adds relevance).")
@click.option("--feedback", is_flag=True, help="Add the grammar, vocab and coherence feedback nodes.")
@click.option("--strict", is_flag=True, help="pronunciation_score_mode=strict")
@click.option("--detect-dialect", is_flag=True)
def score_speech(
    audio: Path, dialect: str, relevance_context: str | None, feedback: bool, strict: bool, detect_dialect: bool
) -> None:
    """Score an unscripted answer in AUDIO as POST /api/scoring/speech would; prints its JSON."""
    from orato.scoring.batch import SPEECH_ENDPOINT, score_recording

    fields = {
        "endpoint": SPEECH_ENDPOINT, "dialect": dialect, "relevance_context": relevance_context or "",
        "include_ielts_feedback": "1" if feedback else "0", "detect_dialect": "1" if detect_dialect else "0",
        "pronunciation_score_mode": "strict" if strict else "default",
    }  # fmt: skip
    body = score_recording(Settings(), audio, fields)
    click.echo(json.dumps(body, ensure_ascii=False))
    if body["status"] != "success":
        sys.exit(1)


@main.command("score-batch")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "results", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--resume", is_flag=True, help="Skip the ids already in --out and append the rest.")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Score on the Ray cluster at ADDRESS (or 'auto'), one actor per CPU, instead of --workers; needs orato[ray].")
def score_batch(manifest: Path, results: Path, workers: int, resume: bool, ray_address: str | None) -> None:
    """Score every line of MANIFEST (JSONL: id, audio, text, dialect, options; or id, audio,
    "endpoint": "speech", options) into --out (JSONL).

    Ends with a summary on stderr; the exit status is 1 when an item failed on the server's
    side (a 5xx body), 128 + the signal's number when interrupted (rerun with --resume).
    """
    from orato.scoring.batch import BatchSummary, finished_ids, read_manifest

    if results.exists() and not resume:
        raise click.ClickException(f"{results} exists; pass --resume to continue it")
    try:
        ids = [item.id for item in read_manifest(manifest)]  # every line checked before any is scored
    except InvalidParametersError as error:
        raise click.ClickException(f"{error.param}: {error.message}") from None
    done = finished_ids(results) if resume else set()
    already = sum(item_id in done for item_id in ids)
    todo = (item for item in read_manifest(manifest) if item.id not in done)  # read again as it is scored
    summary, status = BatchSummary(), 0
    try:
        with _stopped_by_signals():
            _score_into(results, todo, _pool(workers, ray_address), summary, total=len(ids), already=already)
    except _Interrupted as interrupt:
        status = 128 + interrupt.signal_number
    click.echo(summary.render(left=len(ids) - already - summary.done - sum(summary.failed.values())), err=True)
    sys.exit(status or int(summary.internal > 0))


def _pool(workers: int, ray_address: str | None) -> ScoringPool | RayPool:
    """The local worker processes, or the actors of a Ray cluster: both run items the same way."""
    from orato.scoring.pool import ScoringPool

    if ray_address is None:
        return ScoringPool(Settings(), workers)
    try:
        from orato.scoring.cluster import RayPool
    except ImportError:
        raise click.ClickException("--ray needs Ray: pip install 'orato[ray]'") from None
    return RayPool(Settings(), ray_address)


def _score_into(results: Path, todo: Iterable[BatchItem], pool: ScoringPool | RayPool, summary: BatchSummary,
                total: int, already: int) -> None:
    """Append each item's result line to ``results`` as it finishes, counted in ``summary``."""
    from rich.console import Console
    from rich.progress import Progress

    from orato.scoring.pool import WorkerStartError

    progress = Progress(console=Console(stderr=True))
    task = progress.add_task("scoring", total=total, completed=already)
    try:
        with results.open("a", encoding="utf-8") as out, progress, pool:
            for result in pool.run(todo):
                out.write(result.line())
                out.flush()
                summary.add(result)
                progress.advance(task)
    except WorkerStartError as error:
        raise click.ClickException(str(error)) from None
    except ConnectionError as error:  # ray.init: no cluster at the address
        raise click.ClickException(str(error)) from None


class _Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: the run stops where it is and says so (a BaseException, as
    KeyboardInterrupt is, so that no handler of ordinary failures swallows it)."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`_Interrupted` while the block runs."""

    def interrupt(signal_number: int, _frame: object) -> None:
        raise _Interrupted(signal_number)

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    sys.exit(main())
