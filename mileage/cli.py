"""The `mileage` command: migrate, create users, load demo data, serve, check the ledger."""

from __future__ import annotations

import json
import sys

import click

from mileage.app import create_app
from mileage.db import run_in_transaction


def _app():
    """Create the app for one command; its database connections close when the command ends."""
    app = create_app()
    click.get_current_context().call_on_close(app.extensions["mileage.engine"].dispose)
    return app


def _session_factory(app):
    return app.extensions["mileage.session_factory"]


@click.group()
def main() -> None:
    """Volunteer mileage: approved hours become points spent at partner shops or donated."""


@main.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database up to the newest schema."""
    from mileage.migrations_runner import upgrade_database

    app = _app()
    upgrade_database(app.config["DATABASE_URL"], revision=revision)
    click.echo(f"database at {revision}: {app.extensions['mileage.engine'].url.render_as_string()}")


@db.command("downgrade")
@click.option("--revision", required=True, help="Target revision, e.g. base.")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to an older schema."""
    from mileage.migrations_runner import downgrade_database

    downgrade_database(_app().config["DATABASE_URL"], revision=revision)
    click.echo(f"database at {revision}")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["staff", "admin", "auditor", "coordinator", "volunteer"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@click.option("--organisation-id", type=int, default=None, help="For a coordinator.")
@click.option("--volunteer-id", type=int, default=None, help="For a volunteer.")
def create_user_command(username, role, password, display_name, organisation_id, volunteer_id) -> None:
    """Create a user who can sign in."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.errors import DomainError
    from mileage.people.users import create_user

    app = _app()
    try:
        user = run_in_transaction(
            _session_factory(app),
            lambda session: create_user(
                session,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                organisation_id=organisation_id,
                volunteer_id=volunteer_id,
                actor=SYSTEM_ACTOR,
            ),
        )
    except DomainError as error:
        raise click.ClickException(error.message("en")) from error
    click.echo(f"created {user.role} {user.username} (id {user.id})")


@main.command("demo")
def demo_command() -> None:
    """Migrate the database and load realistic demo data (once)."""
    from mileage.demo.data import load_demo_data
    from mileage.migrations_runner import upgrade_database

    app = _app()
    upgrade_database(app.config["DATABASE_URL"])
    summary = run_in_transaction(_session_factory(app), load_demo_data)
    click.echo(summary)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--debug/--no-debug", default=False)
def serve_command(host: str, port: int, debug: bool) -> None:
    """Run the development server (use gunicorn in production)."""
    _app().run(host=host, port=port, debug=debug)


@main.command("check")
def check_command() -> None:
    """Check every ledger invariant; exit non-zero if anything is broken."""
    from mileage.ledger import check_invariants

    app = _app()
    session = _session_factory(app)()
    try:
        report = check_invariants(session)
    finally:
        session.close()
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    if not report.ok:
        sys.exit(1)


@main.command("expire")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The Seoul day to expire points as of (default: today).")
def expire_command(as_of) -> None:
    """Expire points credited N years before a day (opted-in points are donated); safe to rerun."""
    from mileage.clock import seoul_today
    from mileage.errors import DomainError
    from mileage.expiry import run_expiry

    app = _app()
    try:
        summary = run_expiry(
            _session_factory(app),
            as_of=as_of.date() if as_of else seoul_today(),
            years=int(app.config["EXPIRY_YEARS"]),
        )
    except DomainError as error:
        raise click.ClickException(error.message("en")) from error
    click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))


@main.command("run-campaign")
@click.argument("campaign_id", type=int, required=False)
def run_campaign_command(campaign_id: int | None) -> None:
    """Run or resume one donation campaign, or without an id every campaign staff asked to run.

    Volunteers already done are never posted again, so it is safe to rerun after a crash.
    """
    from mileage.audit import SYSTEM_ACTOR
    from mileage.donations.campaigns import run_campaign, run_requested_campaigns
    from mileage.errors import DomainError

    factory = _session_factory(_app())
    try:
        if campaign_id is None:
            ran = run_requested_campaigns(factory, actor=SYSTEM_ACTOR)
        else:
            ran = [run_campaign(factory, campaign_id, actor=SYSTEM_ACTOR)]
    except DomainError as error:
        raise click.ClickException(error.message("en")) from error
    for progress in ran:
        click.echo(json.dumps(
            {"campaign_id": progress.campaign.id, "state": progress.campaign.state, **progress.counts,
             "points_donated": progress.points_donated},
            indent=2,
        ))


@main.command("sweep-holds")
@click.option("--batch", default=100, show_default=True, help="Holds released per transaction.")
def sweep_holds_command(batch: int) -> None:
    """Release partner-shop holds past their expiry, returning the points to the cards; safe to rerun."""
    from mileage.shops.holds import sweep_expired_holds

    factory = _session_factory(_app())
    released = 0
    while True:
        # One transaction per batch: a long backlog never holds locks for long.
        count = run_in_transaction(factory, lambda session: sweep_expired_holds(session, limit=batch))
        released += count
        if count < batch:
            break
    click.echo(f"released {released} expired holds")


@main.command("import-claims")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--organisation", "organisation_id", type=int, default=None,
              help="Organisation of rows without an 기관ID column.")
@click.option("--dry-run", is_flag=True, help="Report what would happen; post nothing.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_claims_command(file: str, organisation_id: int | None, dry_run: bool, lang: str, as_json: bool) -> None:
    """Import a CSV or .xlsx file of hours as submitted claims, with the same per-row report as the upload page.

    Rows identical to claims already on record are skipped, so importing a file twice changes nothing.
    """
    from pathlib import Path

    from mileage.audit import SYSTEM_ACTOR
    from mileage.claims import uploads
    from mileage.claims.submission import format_clock_time
    from mileage.errors import DomainError

    app = _app()
    data = Path(file).read_bytes()
    try:
        total = uploads.sheet_row_count(data)
    except DomainError as error:
        raise click.ClickException(error.message(lang)) from error

    def run(session):
        with click.progressbar(length=total, label="rows", file=sys.stderr, show_pos=True) as bar:
            return uploads.import_claim_file(
                session, data, actor=SYSTEM_ACTOR, policy=app.config["CLAIM_POLICY"],
                organisation_id=organisation_id, filename=Path(file).name, dry_run=dry_run, on_row=bar.update,
            )

    factory = _session_factory(app)
    try:
        if dry_run:
            session = factory()
            try:
                report = run(session)
            finally:
                session.rollback()
                session.close()
        else:
            report = run_in_transaction(factory, run)
    except DomainError as error:
        raise click.ClickException(error.message(lang)) from error

    if as_json:
        click.echo(json.dumps(
            {"dry_run": dry_run, "file_format": report.file_format, "encoding": report.encoding,
             "rows": len(report.rows), "ok": report.ok, "warnings": report.warnings, "errors": report.errors,
             "created": report.created, "skipped": report.skipped,
             "report": [row.as_dict() for row in report.rows]},
            ensure_ascii=False, indent=2, default=str,
        ))
    else:
        for row in report.rows:
            times = ""
            if row.start_minute is not None and row.end_minute is not None:
                times = f"{row.work_date} {format_clock_time(row.start_minute)}-{format_clock_time(row.end_minute)}"
            said = " / ".join(message.text(lang) for message in row.messages)
            click.echo(f"{row.row:>6}  {row.status:<7}  {row.volunteer_name} {times}  {said}".rstrip())
        if lang == "en":
            click.echo(
                f"{len(report.rows)} rows: {report.ok} ok, {report.warnings} warnings, {report.errors} errors; "
                f"{'would create' if dry_run else 'created'} {report.created}, skipped {report.skipped}"
            )
        else:
            click.echo(
                f"{len(report.rows)}행: 정상 {report.ok}, 주의 {report.warnings}, 오류 {report.errors} · "
                f"{'생성 예정' if dry_run else '생성'} {report.created}, 건너뜀 {report.skipped}"
            )
    if report.errors:
        sys.exit(2)


@main.command("flag-site-visits")
def flag_site_visits_command() -> None:
    """Flag site visits still open after their Seoul day ended, for the coordinator; safe to rerun."""
    from mileage.claims.visits import flag_stale_visits

    flagged = run_in_transaction(_session_factory(_app()), lambda session: flag_stale_visits(session))
    click.echo(f"flagged {flagged} open site visits")
