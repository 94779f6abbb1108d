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
@click.option("--preset", default=None, help="Run the demo under a programme's rules, e.g. nowon-2011.")
def demo_command(preset: str | None) -> None:
    """Migrate the database and load realistic demo data (once)."""
    from mileage.demo.data import load_demo_data
    from mileage.errors import DomainError
    from mileage.migrations_runner import upgrade_database

    app = _app()
    upgrade_database(app.config["DATABASE_URL"])
    try:
        summary = run_in_transaction(_session_factory(app), lambda session: load_demo_data(session, preset=preset))
    except DomainError as error:
        raise click.ClickException(error.message("en")) from error
    click.echo(summary)


@main.group()
def rules() -> None:
    """The programme's rule sets: list them, load a preset."""


@rules.command("list")
def rules_list_command() -> None:
    """Print every rule set version, newest first, and the presets that ship with the app."""
    from mileage.programme import book, presets

    app = _app()
    session = _session_factory(app)()
    try:
        current = book.current_rule_set(session).version
        for row in book.list_rule_sets(session):
            marker = "*" if row.version == current else " "
            click.echo(f"{marker} v{row.version} from {row.effective_from.isoformat()} {row.name}")
    finally:
        session.close()
    click.echo("presets: " + ", ".join(presets.PRESETS))


@rules.command("load-preset")
@click.argument("preset")
@click.option("--effective-from", "effective_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The Seoul day the rules start (default: today).")
@click.option("--allow-past", is_flag=True, help="Start before today (a centre setting up; never before paid hours).")
def rules_load_preset_command(preset: str, effective_from, allow_past: bool) -> None:
    """Add a preset (nowon-2011, nw-2018, seodaemun-2024) as a new rule set version."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.clock import seoul_today
    from mileage.errors import DomainError
    from mileage.programme import book, presets

    app = _app()
    day = effective_from.date() if effective_from else seoul_today()

    def load(session):
        terms = presets.preset(preset)
        return book.create_rule_set(session, name=terms["name"], effective_from=day, definition=terms["definition"],
                                    note=terms["note"], preset=preset, actor=SYSTEM_ACTOR,
                                    allow_past=allow_past).version

    try:
        version = run_in_transaction(_session_factory(app), load)
    except DomainError as error:
        raise click.ClickException(error.message("en")) from error
    click.echo(f"rule set v{version} ({preset}) in force from {day.isoformat()}")


@main.group()
def tiers() -> None:
    """Card tiers: the yearly review."""


@tiers.command("review")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="The Seoul day of the review.")
@click.option("--dry-run", is_flag=True, help="List every change without writing any.")
def tiers_review_command(as_of, dry_run: bool) -> None:
    """Re-evaluate every volunteer's tier on a day; safe to rerun (a second run changes nothing)."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.tiers.review import review_tiers

    app = _app()
    moves = run_in_transaction(
        _session_factory(app),
        lambda session: [
            {"volunteer_id": move.volunteer_id, "from": move.from_tier, "to": move.to_tier, "reason": move.reason}
            for move in review_tiers(session, as_of=as_of.date(), actor=SYSTEM_ACTOR, dry_run=dry_run)
        ],
    )
    click.echo(json.dumps({"as_of": as_of.date().isoformat(), "dry_run": dry_run, "changes": moves},
                          ensure_ascii=False, indent=2))


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
