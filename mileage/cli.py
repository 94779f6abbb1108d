"""The `mileage` command: migrate, manage users, load demo data, serve, run the worker, check the ledger.

Every failure an operator can cause (configuration, an unreachable or unmigrated database, a refused
change) ends with one line saying what is wrong and what to do, and a non-zero exit; never a traceback,
never a password or its hash.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata

import click

from mileage import i18n, labels
from mileage.db import describe_database_failure, run_in_transaction
from mileage.i18n import N_

USER_ROLE_CHOICES = ["staff", "admin", "auditor", "coordinator", "volunteer"]
# Exit statuses an operator's monitoring can tell apart.
EXIT_FAILURE = 1
EXIT_CONFIGURATION = 2
EXIT_LEDGER_BROKEN = 3


def _(message: str, **params) -> str:
    """Return a line for the staff running the command, in their language (MILEAGE_LANGUAGE; Korean)."""
    return i18n.translate(i18n.environment_language(), message, **params)


def _version() -> str:
    try:
        return metadata.version("volunteer-mileage")
    except metadata.PackageNotFoundError:
        return "unknown"


class OperatorFailure(click.ClickException):
    """One line for the operator and an exit status; Click prints "Error: ..." to stderr."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(_("Error: %(error)s", error=self.format_message()), err=True, file=file)


class MileageGroup(click.Group):
    """The command group that turns every expected failure into one clear line."""

    def invoke(self, ctx):
        from sqlalchemy.exc import SQLAlchemyError

        from mileage.backup import BackupRefused
        from mileage.config import ConfigurationError
        from mileage.errors import DomainError

        try:
            return super().invoke(ctx)
        except ConfigurationError as error:
            raise OperatorFailure(str(error), EXIT_CONFIGURATION) from None
        except DomainError as error:
            raise OperatorFailure(error.message(i18n.environment_language())) from None
        except BackupRefused as error:
            raise OperatorFailure(str(error)) from None
        except SQLAlchemyError as error:
            raise OperatorFailure(describe_database_failure(error)) from None


def _app(*, check_schema: bool = True, web: bool = False):
    """Create the app for one command; its database connections close when the command ends."""
    from mileage.app import create_app

    # A command needs its database now: unreachable is a failure, not a warning.
    app = create_app({"CHECK_SCHEMA": "strict" if check_schema else False}, web=web)
    click.get_current_context().call_on_close(app.extensions["mileage.engine"].dispose)
    return app


def _session_factory(app):
    return app.extensions["mileage.session_factory"]


@click.group(cls=MileageGroup)
@click.version_option(_version(), "--version", "-V", prog_name="mileage", message="%(prog)s %(version)s")
def main() -> None:
    """Volunteer mileage: approved hours become points spent at partner shops or donated."""


# --- the schema -------------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Manage the database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database up to the newest schema."""
    from mileage.migrations_runner import upgrade_database

    app = _app(check_schema=False)
    upgrade_database(app.config["DATABASE_URL"], revision=revision)
    click.echo(_("database at %(revision)s: %(url)s", revision=revision,
                 url=app.extensions["mileage.engine"].url.render_as_string()))


@db.command("current")
def db_current() -> None:
    """Show the database's schema revision and the one this code needs."""
    from mileage.migrations_runner import schema_status

    app = _app(check_schema=False)
    with app.extensions["mileage.engine"].connect() as connection:
        status = schema_status(connection)
    click.echo(f"revision {status.revision or 'none'} (this code needs {status.head}): {status.state}")
    if not status.current:
        sys.exit(EXIT_FAILURE)


def _revisions_to_undo(current: str | None, target: str) -> list[tuple[str, str]]:
    """Return (revision, what it added) for each migration a downgrade from current to target undoes."""
    from alembic.script import ScriptDirectory

    from mileage.migrations_runner import alembic_config

    if current is None:
        return []
    scripts = ScriptDirectory.from_config(alembic_config())
    lower = None if target == "base" else target
    undone = []
    for script in scripts.iterate_revisions(current, lower or "base"):
        if script.revision == lower:
            continue
        summary = (script.doc or "").strip().splitlines()[0] if script.doc else ""
        undone.append((script.revision, summary))
    return undone


@db.command("downgrade")
@click.option("--revision", required=True, help="Target revision, e.g. 0009, or base for an empty database.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
def db_downgrade(revision: str, yes: bool) -> None:
    """Migrate the database down to an older schema; the tables and columns of newer migrations are LOST."""
    from alembic.util import CommandError

    from mileage.migrations_runner import downgrade_database, schema_status

    app = _app(check_schema=False)
    with app.extensions["mileage.engine"].connect() as connection:
        status = schema_status(connection)
    try:
        undone = _revisions_to_undo(status.revision, revision)
    except CommandError as error:
        raise OperatorFailure(f"unknown revision {revision!r}: {error}") from None
    if not undone:
        click.echo(f"nothing to undo: the database is at {status.revision or 'base'}")
        return
    click.echo(f"Downgrading from {status.revision} to {revision} undoes these migrations:", err=True)
    for name, summary in undone:
        click.echo(f"  {name}: {summary}", err=True)
    if revision == "base":
        click.echo("Every table is dropped: ALL DATA (ledger, cards, users) IS LOST.", err=True)
    else:
        click.echo("The data in the tables and columns they added is lost. Take a backup first.", err=True)
    if not yes and not click.confirm("Continue?", default=False, err=True):
        raise OperatorFailure("downgrade cancelled; nothing was changed")
    try:
        downgrade_database(app.config["DATABASE_URL"], revision=revision)
    except CommandError as error:
        raise OperatorFailure(f"cannot downgrade to {revision!r}: {error}") from None
    click.echo(_("database at %(revision)s", revision=revision))


# --- users ------------------------------------------------------------------------------------

@main.group()
def users() -> None:
    """Manage the people who sign in (never prints a password or its hash)."""


def _in_transaction(work):
    return run_in_transaction(_session_factory(_app()), work)


def _user_line(user) -> str:
    links = []
    if user.organisation_id is not None:
        links.append(f"organisation {user.organisation_id}")
    if user.volunteer_id is not None:
        links.append(f"volunteer {user.volunteer_id}")
    state = "active" if user.is_active else "disabled"
    if user.must_change_password:
        state += ", must change password"
    suffix = f" ({', '.join(links)})" if links else ""
    return f"{user.id:>6}  {user.username:<32} {user.role:<12} {state}{suffix}"


@users.command("list")
@click.option("--role", type=click.Choice(USER_ROLE_CHOICES), default=None)
@click.option("--disabled", "disabled", flag_value=True, default=None, help="Only disabled users.")
@click.option("--active", "disabled", flag_value=False, help="Only active users.")
@click.option("--search", default=None, help="Part of a username or display name.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
def users_list(role, disabled, search, as_json) -> None:
    """List users, oldest first."""
    from mileage.people.users import list_users

    factory = _session_factory(_app())
    session = factory()
    try:
        cursor = None
        while True:
            page = list_users(
                session, role=role, active=None if disabled is None else not disabled, search=search,
                limit=200, cursor=cursor,
            )
            for user in page.items:
                if as_json:
                    click.echo(json.dumps({
                        "id": user.id, "username": user.username, "role": user.role,
                        "display_name": user.display_name, "is_active": user.is_active,
                        "must_change_password": user.must_change_password,
                        "organisation_id": user.organisation_id, "volunteer_id": user.volunteer_id,
                    }, ensure_ascii=False))
                else:
                    click.echo(_user_line(user))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    finally:
        session.close()


def _create_user(username, role, password, display_name, organisation_id, volunteer_id) -> None:
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people.users import create_user

    user = _in_transaction(lambda session: create_user(
        session, username=username, password=password, role=role, display_name=display_name,
        organisation_id=organisation_id, volunteer_id=volunteer_id, actor=SYSTEM_ACTOR,
    ))
    role = labels.label("role", user.role, i18n.environment_language())
    click.echo(_("created %(role)s %(username)s (id %(id)s)", role=role, username=user.username, id=user.id))


_create_options = [
    click.option("--username", required=True, help="3-32 lowercase letters, digits, '.', '_' or '-'."),
    click.option("--role", required=True, type=click.Choice(USER_ROLE_CHOICES)),
    click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                 help="Asked for when left out (recommended: a password on the command line stays in history)."),
    click.option("--display-name", default=""),
    click.option("--organisation-id", type=click.IntRange(min=1), default=None, help="Required for a coordinator."),
    click.option("--volunteer-id", type=click.IntRange(min=1), default=None, help="Required for a volunteer."),
]


def _with_create_options(command):
    for option in reversed(_create_options):
        command = option(command)
    return command


@users.command("create")
@_with_create_options
def users_create(username, role, password, display_name, organisation_id, volunteer_id) -> None:
    """Create a user who can sign in; a coordinator needs --organisation-id, a volunteer --volunteer-id."""
    _create_user(username, role, password, display_name, organisation_id, volunteer_id)


@main.command("create-user", hidden=True)
@_with_create_options
def create_user_command(username, role, password, display_name, organisation_id, volunteer_id) -> None:
    """Create a user who can sign in (the same as `mileage users create`)."""
    _create_user(username, role, password, display_name, organisation_id, volunteer_id)


def _by_username(session, username):
    from mileage.people.users import find_user_by_username

    return find_user_by_username(session, username)


@users.command("disable")
@click.argument("username")
def users_disable(username) -> None:
    """Disable a user: they cannot sign in any more and their sign-ins end."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people.users import disable_user

    user = _in_transaction(lambda s: disable_user(s, _by_username(s, username).id, actor=SYSTEM_ACTOR))
    click.echo(f"disabled {user.username} (id {user.id})")


@users.command("enable")
@click.argument("username")
def users_enable(username) -> None:
    """Let a disabled user sign in again."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people.users import enable_user

    user = _in_transaction(lambda s: enable_user(s, _by_username(s, username).id, actor=SYSTEM_ACTOR))
    click.echo(f"enabled {user.username} (id {user.id})")


@users.command("reset-password")
@click.argument("username")
@click.option("--password", "temporary", prompt="Temporary password", hide_input=True, confirmation_prompt=True,
              help="The temporary password (asked for when left out); the user must change it at sign-in.")
def users_reset_password(username, temporary) -> None:
    """Give a user a temporary password that they must change at their next sign-in."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people.users import reset_password

    reset = _in_transaction(lambda s: reset_password(
        s, _by_username(s, username).id, actor=SYSTEM_ACTOR, temporary_password=temporary
    ))
    click.echo(f"reset the password of {reset.user.username}; they must choose a new one at their next sign-in")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(USER_ROLE_CHOICES))
@click.option("--organisation-id", type=click.IntRange(min=1), default=None, help="Required for a coordinator.")
@click.option("--volunteer-id", type=click.IntRange(min=1), default=None, help="Required for a volunteer.")
def users_set_role(username, role, organisation_id, volunteer_id) -> None:
    """Give a user another role (with the link it needs); their sign-ins end."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.people.users import set_role

    user = _in_transaction(lambda s: set_role(
        s, _by_username(s, username).id, role, actor=SYSTEM_ACTOR,
        organisation_id=organisation_id, volunteer_id=volunteer_id,
    ))
    click.echo(f"{user.username} is now {user.role}")


# --- the demo and the servers -----------------------------------------------------------------

@main.command("demo")
@click.option("--preset", default=None, help="Run the demo under a programme's rules, e.g. nowon-2011.")
def demo_command(preset: str | None) -> None:
    """Migrate the database and load realistic demo data (once)."""
    from mileage.demo.data import load_demo_data
    from mileage.migrations_runner import upgrade_database

    app = _app(check_schema=False)
    upgrade_database(app.config["DATABASE_URL"])
    summary = run_in_transaction(
        _session_factory(app), lambda session: load_demo_data(session, i18n.environment_language(), preset=preset)
    )
    click.echo(summary)


@main.command("demo-hours")
def demo_hours_command() -> None:
    """Print a sample hours file (CSV) for the demo's volunteers, dated yesterday: mileage demo-hours > hours.csv"""
    from mileage.demo.data import sample_hours_csv

    session = _session_factory(_app())()
    try:
        text = sample_hours_csv(session)
    except LookupError as error:
        raise OperatorFailure(str(error)) from None
    finally:
        session.close()
    click.echo(text, nl=False)


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
            click.echo(_("%(marker)s v%(version)s from %(day)s %(name)s", marker=marker, version=row.version,
                         day=row.effective_from.isoformat(), name=row.name))
    finally:
        session.close()
    click.echo(_("presets: %(presets)s", presets=", ".join(presets.PRESETS)))


@rules.command("load-preset")
@click.argument("preset")
@click.option("--effective-from", "effective_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The Seoul day the rules start (default: today).")
@click.option("--allow-past", is_flag=True, help="Start before today (a centre setting up; never before paid hours).")
def rules_load_preset_command(preset: str, effective_from, allow_past: bool) -> None:
    """Add a preset (nowon-2011, nw-2018, seodaemun-2024) as a new rule set version."""
    from mileage.audit import SYSTEM_ACTOR
    from mileage.clock import seoul_today
    from mileage.programme import book, presets

    app = _app()
    day = effective_from.date() if effective_from else seoul_today()

    def load(session):
        terms = presets.preset(preset)
        return book.create_rule_set(session, name=terms["name"], effective_from=day, definition=terms["definition"],
                                    note=terms["note"], preset=preset, actor=SYSTEM_ACTOR,
                                    allow_past=allow_past).version

    version = run_in_transaction(_session_factory(app), load)
    click.echo(_("rule set v%(version)s (%(preset)s) in force from %(day)s",
                 version=version, preset=preset, day=day.isoformat()))


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
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug/--no-debug", default=False)
def serve_command(host: str, port: int, debug: bool) -> None:
    """Run the development server (use gunicorn in production)."""
    _app(web=True).run(host=host, port=port, debug=debug)


@main.command("worker")
@click.option("--once", "once", default=None, metavar="JOB",
              help="Run one job now and exit with its status (e.g. invariant-check), instead of the schedule.")
def worker_command(once: str | None) -> None:
    """Run the background jobs on their Asia/Seoul schedule: holds, expiry, pruning, campaigns, checks."""
    from mileage.worker import JOBS, run_job_once, run_worker

    app = _app()
    engine, factory = app.extensions["mileage.engine"], _session_factory(app)
    if once is not None:
        if once not in JOBS:
            raise OperatorFailure(f"unknown job {once!r}; jobs: {', '.join(JOBS)}")
        sys.exit(run_job_once(engine, factory, app.config, once))
    sys.exit(run_worker(engine, factory, app.config))


@main.command("jobs")
def jobs_command() -> None:
    """Show the worker's lease and each job's last run; exit 1 when monitoring should alert."""
    from mileage.worker import jobs_health

    session = _session_factory(_app())()
    try:
        health = jobs_health(session)
    finally:
        session.close()
    click.echo(json.dumps(health.as_dict(), ensure_ascii=False, indent=2))
    if not health.healthy:
        sys.exit(EXIT_FAILURE)


# --- the ledger and batch jobs ----------------------------------------------------------------

@main.command("check")
def check_command() -> None:
    """Check every ledger invariant; exit 3 if anything is broken."""
    from mileage.ledger import check_invariants

    app = _app()
    session = _session_factory(app)()
    try:
        report = check_invariants(session)
    finally:
        session.close()
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    if not report.ok:
        sys.exit(EXIT_LEDGER_BROKEN)


@main.command("expire")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The Seoul day to expire points as of (default: today).")
@click.option("--dry-run", is_flag=True, help="Show what would expire and post nothing.")
@click.option("--progress/--no-progress", default=None, help="A progress bar (default: on a terminal).")
def expire_command(as_of, dry_run: bool, progress) -> None:
    """Expire points credited N years before a day (opted-in points are donated); safe to rerun."""
    from mileage.clock import seoul_today
    from mileage.expiry import count_volunteers_with_points, run_expiry

    app = _app()
    factory = _session_factory(app)
    show = sys.stderr.isatty() if progress is None else progress
    total = run_in_transaction(factory, count_volunteers_with_points) if show else 0
    with click.progressbar(length=total, label="volunteers", file=sys.stderr if show else _Null()) as bar:
        summary = run_expiry(
            factory,
            as_of=as_of.date() if as_of else seoul_today(),
            years=int(app.config["EXPIRY_YEARS"]),
            dry_run=dry_run,
            on_volunteer=lambda _id: bar.update(1),
        )
    body = summary.as_dict()
    if dry_run:
        body["dry_run"] = True
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


class _Null:
    """A file that swallows a progress bar nobody watches."""

    def write(self, _text):
        return 0

    def flush(self):
        pass

    def isatty(self):
        return False


@main.command("run-campaign")
@click.argument("campaign_id", type=click.IntRange(min=1), required=False)
def run_campaign_command(campaign_id: int | None) -> None:
    """Run or resume one donation campaign, or without an id every campaign staff asked to run.

    Volunteers already done are never posted again, so it is safe to rerun after a crash.
    """
    from mileage.audit import SYSTEM_ACTOR
    from mileage.donations.campaigns import run_campaign, run_requested_campaigns

    factory = _session_factory(_app())
    if campaign_id is None:
        ran = run_requested_campaigns(factory, actor=SYSTEM_ACTOR)
    else:
        ran = [run_campaign(factory, campaign_id, actor=SYSTEM_ACTOR)]
    for progress in ran:
        click.echo(json.dumps(
            {"campaign_id": progress.campaign.id, "state": progress.campaign.state, **progress.counts,
             "points_donated": progress.points_donated},
            indent=2,
        ))


@main.command("sweep-holds")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="Holds released per transaction.")
def sweep_holds_command(batch: int) -> None:
    """Release partner-shop holds past their expiry, returning the points to the cards; safe to rerun."""
    from mileage.shops.holds import release_all_expired_holds

    released = release_all_expired_holds(_session_factory(_app()), batch=batch)
    click.echo(_("released %(count)s expired holds", count=released))


@main.command("prune")
def prune_command() -> None:
    """Delete used QR tokens, idempotency answers and refresh tokens past their retention periods."""
    from mileage.retention import prune_expired_records

    pruned = prune_expired_records(_session_factory(_app()))
    click.echo(json.dumps(pruned.as_dict(), indent=2))


@main.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True))
@click.option("--overwrite", is_flag=True, help="Replace the destination file if it exists.")
def backup_command(destination: str, overwrite: bool) -> None:
    """Copy the SQLite database (while the app runs) into a checked backup file."""
    from mileage.backup import backup_sqlite

    app = _app(check_schema=False)
    result = backup_sqlite(app.config["DATABASE_URL"], destination, overwrite=overwrite)
    click.echo(f"backup written to {result.path} ({result.size_bytes} bytes, schema {result.revision or 'none'})")


@main.command("import-claims")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--organisation", "organisation_id", type=int, default=None,
              help="Organisation of rows without an organisation id column.")
@click.option("--dry-run", is_flag=True, help="Report what would happen; post nothing.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default=None,
              help="Language of the report (MILEAGE_LANGUAGE when not given; Korean).")
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

    lang = lang or i18n.environment_language()
    app = _app()
    data = Path(file).read_bytes()
    try:
        total = uploads.sheet_row_count(data)
    except DomainError as error:
        raise click.ClickException(error.message(lang)) from error

    def run(session):
        label = i18n.translate(lang, N_("rows"))
        with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
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
        counts = {"rows": len(report.rows), "ok": report.ok, "warnings": report.warnings,
                  "errors": report.errors, "created": report.created, "skipped": report.skipped}
        if dry_run:
            summary = N_("%(rows)s rows: %(ok)s ok, %(warnings)s warnings, %(errors)s errors; "
                         "would create %(created)s, skipped %(skipped)s")
        else:
            summary = N_("%(rows)s rows: %(ok)s ok, %(warnings)s warnings, %(errors)s errors; "
                         "created %(created)s, skipped %(skipped)s")
        click.echo(i18n.translate(lang, summary, **counts))
    if report.errors:
        sys.exit(2)


@main.command("flag-site-visits")
def flag_site_visits_command() -> None:
    """Flag site visits still open after their Seoul day ended, for the coordinator; safe to rerun."""
    from mileage.claims.visits import flag_stale_visits

    flagged = run_in_transaction(_session_factory(_app()), lambda session: flag_stale_visits(session))
    click.echo(_("flagged %(count)s open site visits", count=flagged))
