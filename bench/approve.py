"""Hours claims approved per second through the staff bulk-approve API, against the pgbench ceiling.

    python -m bench.approve [--claims 10000] [--batch 500] [--clients 1]

Creates a scratch PostgreSQL database and seeds, with SQL, volunteers with a card each and
`--claims` submitted claims of two hours (five per volunteer, on five past days). A staff user
signs in over HTTP, and the claims are approved with POST /admin/claims/bulk-approve in batches
of `--batch` ids, from `--clients` threads (every approval credits the one issuance account, so
batches mostly queue behind each other's row lock; one client is the default). The ceiling is
pgbench (TPC-B-like, `--pgbench-clients` clients for `--pgbench-seconds`, in two halves just before
and just after the approvals). Afterwards it checks that every claim is approved with its points on
the card, and every ledger invariant.

`--rules banded` first loads a rule set with three bands (500, 1,000 and 1,500 points an hour from
0, 4 and 8 certified hours), a lifetime cap of 8,000 and a yearly cap of 7,000, so that approvals split
claims at band edges and caps withhold points; `--rules nowon-2011` (or another preset) loads a
preset. The points expected on the cards are then the replay of each volunteer's claims.

Prints one JSON line: claims_per_s, pgbench_tps, ratio (claims_per_s / pgbench_tps), errors,
invariants_ok, worker_rss_mb and the settings. Target: claims_per_s >= 1,000.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date

from sqlalchemy import func, select, text

from bench.ceiling import bracketed_ceiling, pgbench
from bench.client import JsonClient
from bench.common import cpu_probe_for, progress, report, server_url
from bench.seed import seed_cards
from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import seoul_today
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import Account, Card, Claim, ClaimState, Role
from mileage.people import users
from mileage.people.organisations import create_organisation
from tests.support.databases import scratch_database
from tests.support.gunicorn import GunicornServer

CLAIMS_PER_VOLUNTEER = 5
BANDED_RULES = {
    "bands": [{"from_hours": 0, "points_per_hour": 500}, {"from_hours": 4, "points_per_hour": 1000},
              {"from_hours": 8, "points_per_hour": 1500}],
    "lifetime_cap": 8_000,
    "yearly_cap": 7_000,
}
STAFF_PASSWORD = "bench-staff-password"

CLAIMS_SQL = """
INSERT INTO claims (volunteer_id, organisation_id, work_date, start_minute, end_minute, category, note, state,
                    submitted_by_user_id, submitted_at)
SELECT v.volunteer_id, :organisation, CAST(:today AS date) - d, 540, 660, '복지관 배식', '', 'submitted', :staff, now()
FROM unnest(CAST(:volunteers AS bigint[])) AS v(volunteer_id), generate_series(1, :per_volunteer) AS d
ORDER BY d, v.volunteer_id
"""


def seed_claims(engine, sessions, count: int) -> tuple[list[int], int]:
    """Seed volunteers with cards and `count` submitted claims; return the claim ids and the expected points."""
    volunteers = -(-count // CLAIMS_PER_VOLUNTEER)
    cards = seed_cards(engine, volunteers, balance=0)

    def staff_and_place(session):
        staff = users.create_user(
            session, username="bench-staff", password=STAFF_PASSWORD, role=str(Role.STAFF), actor=SYSTEM_ACTOR
        )
        return staff.id, create_organisation(session, name="노원구 자원봉사센터", actor=SYSTEM_ACTOR).id

    staff_id, organisation_id = run_in_transaction(sessions, staff_and_place)
    with engine.begin() as connection:
        connection.execute(
            text(CLAIMS_SQL),
            {"organisation": organisation_id, "today": seoul_today(), "staff": staff_id,
             "volunteers": [card.volunteer_id for card in cards], "per_volunteer": CLAIMS_PER_VOLUNTEER},
        )
        claim_ids = list(connection.execute(text("SELECT id FROM claims ORDER BY id LIMIT :n"), {"n": count}).scalars())
        connection.execute(text("ANALYZE"))
    return claim_ids, len(claim_ids) * DEFAULT_POLICY.points_for(120)


def load_rules(sessions, rules: str) -> None:
    """Load the banded, capped rule set or a preset, in force long before the seeded claims."""
    from mileage.programme import book, presets

    if rules == "banded":
        name, definition = "bench banded", BANDED_RULES
    else:
        terms = presets.preset(rules)
        name, definition = terms["name"], terms["definition"]
    run_in_transaction(sessions, lambda session: book.create_rule_set(
        session, name=name, effective_from=date(2000, 1, 2), definition=definition, actor=SYSTEM_ACTOR,
        allow_past=True))


def expected_points(sessions, claim_ids: list[int]) -> int:
    """Return what the rules in force pay the seeded claims: the replay of each volunteer's claims."""
    from mileage.programme.book import load_rule_book
    from mileage.programme.earnings import CertifiedClaim, replay

    with sessions() as session:
        rule_book = load_rule_book(session)
        by_volunteer: dict[int, list] = {}
        for claim in session.scalars(select(Claim).where(Claim.id.in_(claim_ids))):
            by_volunteer.setdefault(claim.volunteer_id, []).append(
                CertifiedClaim(claim.id, claim.work_date, claim.start_minute, claim.minutes, claim.category))
        return sum(replay(claims, rule_book.on).points for claims in by_volunteer.values())


def approve_all(base_url: str, token: str, claim_ids: list[int], *, batch: int, clients: int) -> tuple[int, Counter]:
    """Send every claim id to bulk-approve in batches; return how many were approved and the failures by code."""
    batches = [claim_ids[i:i + batch] for i in range(0, len(claim_ids), batch)]
    lock = threading.Lock()
    approved = 0
    failures: Counter = Counter()
    local = threading.local()

    def send(ids: list[int]) -> None:
        nonlocal approved
        if not hasattr(local, "client"):
            local.client = JsonClient(base_url, timeout=300)
        reply = local.client.request(
            "POST", "/admin/claims/bulk-approve", {"claim_ids": ids}, {"Authorization": f"Bearer {token}"}
        )
        with lock:
            if reply.status != 200:
                failures[f"{reply.status}:{reply.code}"] += len(ids)
                return
            approved += reply.body["approved"]
            for item in reply.body["results"]:
                if not item["ok"]:
                    failures[item["error"]["code"]] += 1

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(send, batches))
    return approved, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="claim ids per request (the API takes at most 500)")
    parser.add_argument("--clients", type=int, default=1, help="concurrent bulk-approve requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--pgbench-clients", type=int, default=32)
    parser.add_argument("--pgbench-seconds", type=int, default=30)
    parser.add_argument("--pgbench-scale", type=int, default=1)
    parser.add_argument("--no-pgbench", action="store_true", help="skip the ceiling (for quick tuning runs)")
    parser.add_argument("--rules", default="default",
                        help="default (the flat rate), banded (bands and caps), or a preset such as nowon-2011")
    options = parser.parse_args()

    with scratch_database(server_url()) as url, ExitStack() as ceiling:
        progress(f"migrating scratch database {url.rsplit('/', 1)[-1]}")
        upgrade_database(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        progress(f"seeding {options.claims:,} submitted claims")
        claim_ids, expected = seed_claims(engine, sessions, options.claims)
        if options.rules != "default":
            load_rules(sessions, options.rules)
            expected = expected_points(sessions, claim_ids)
        run_pgbench = None if options.no_pgbench else ceiling.enter_context(
            pgbench(server_url(), scale=options.pgbench_scale)
        )

        with GunicornServer(url, workers=options.workers, threads=options.threads) as server:
            reply = JsonClient(server.base_url).request(
                "POST", "/auth/token", {"username": "bench-staff", "password": STAFF_PASSWORD}
            )
            if reply.status != 200:
                raise RuntimeError(f"staff sign-in failed: {reply.status} {reply.body}")
            probe = cpu_probe_for(server, engine)

            def approve_them_all():
                progress(f"approving in batches of {options.batch} from {options.clients} client(s)")
                cpu_before = probe()
                started = time.perf_counter()
                approved, failures = approve_all(
                    server.base_url, reply.body["access_token"], claim_ids, batch=options.batch,
                    clients=options.clients,
                )
                elapsed = time.perf_counter() - started
                cpu = {group: used - cpu_before[group] for group, used in probe().items()}
                return approved, failures, elapsed, cpu, max(server.worker_rss_mb(), default=0.0)

            if run_pgbench is None:
                (approved, failures, elapsed, cpu, worker_rss), tps, tps_runs = approve_them_all(), None, None
            else:
                (approved, failures, elapsed, cpu, worker_rss), tps, tps_runs = bracketed_ceiling(
                    run_pgbench, options.pgbench_clients, options.pgbench_seconds, approve_them_all
                )

        progress("checking the claims, the cards and the ledger invariants")
        with sessions() as session:
            invariants = ledger.check_invariants(session)
            still_submitted = session.scalar(
                select(func.count()).select_from(Claim).where(Claim.state == str(ClaimState.SUBMITTED))
            )
            on_cards = session.scalar(
                select(func.coalesce(func.sum(Account.balance), 0)).join(Card, Card.account_id == Account.id)
            )
        engine.dispose()

    claims_per_s = approved / elapsed
    if failures:
        progress(f"failures by code: {dict(failures)}")
    report(
        {
            "benchmark": "approve",
            "claims_per_s": round(claims_per_s, 1),
            "approved": approved,
            "seconds": round(elapsed, 2),
            "pgbench_tps": tps,
            "ratio": round(claims_per_s / tps, 3) if tps else None,
            "pgbench_tps_before_after": tps_runs,
            "errors": sum(failures.values()),
            "all_approved": still_submitted == 0,
            "points_on_cards_ok": int(on_cards) == expected,
            "points_on_cards": int(on_cards),
            "rules": options.rules,
            "invariants_ok": invariants.ok,
            "worker_rss_mb": round(worker_rss, 1),
            # CPU milliseconds per approved claim, by who spent them: robust to a busy machine.
            **{f"{group}_cpu_ms": round(1000 * used / approved, 3) if approved else None
               for group, used in cpu.items()},
            "batch": options.batch,
            "clients": options.clients,
            "workers": options.workers,
            "threads": options.threads,
            "pgbench_clients": options.pgbench_clients,
            "pgbench_seconds": options.pgbench_seconds,
        }
    )


if __name__ == "__main__":
    main()
