"""Redemptions per second over HTTP against the PostgreSQL ceiling (pgbench) of the same machine.

    python -m bench.redeem [--seconds 30] [--clients 32] [--workers 2] [--threads 4] [--rate R]

Creates a scratch PostgreSQL database, seeds 10,000 cards with points (fast SQL, one credit entry
per card) and 100 active shops with offers and a terminal each (through the services), and starts
the app under gunicorn on 127.0.0.1. Every shop's terminal exchanges its key for an access token.
Then `--clients` threads, each on one keep-alive connection, redeem for `--seconds` (after a short
warm-up that is not counted): each request carries a fresh dynamic QR token minted here with the
server's signing key, for a card drawn Zipf-skewed (a few cards are hot), at a random shop, with a
unique Idempotency-Key. The ceiling of this machine is pgbench (TPC-B-like) on its own scratch
database with the same client count and duration, run as two halves just before and just after
the load, so that both see the same background on a shared machine. Afterwards it checks every
ledger invariant and that the database holds exactly the redemptions that were acknowledged.

With `--rate R` the load is an open loop instead: requests arrive at R per second on a fixed
schedule whatever the server does, sent over `--clients` keep-alive connections, and each
latency is measured from the moment its request was due, so a slow server's queue shows in the
figures (no coordinated omission). That is what a cashier feels; a closed loop of 32 clients only
measures throughput (its mean latency is 32 / throughput by Little's law). `late_starts` counts
requests that left more than 10 ms after they were due because every connection was busy.

Prints one JSON line: redeem_per_s, p50_ms, p99_ms (latency of successful redemptions),
pgbench_tps, ratio (redeem_per_s / pgbench_tps), errors (failures other than a card without
enough points, which are counted as refused), invariants_ok, worker_rss_mb (the largest worker
after the run), `app_cpu_ms`, `db_cpu_ms`, `client_cpu_ms` (CPU per successful redemption),
`client_cpu_share` (the load client's share of the machine's CPUs: above 0.15 the client is too
dear and would distort the figures), and the settings. Targets (issue 17): at 32 clients ratio >= 0.35, errors = 0,
invariants_ok, recorded = acknowledged, worker RSS <= 150 MB; open loop at half the measured capacity p99 <= 50 ms;
at 1 client p99 <= 20 ms.

With `--stack LAYERS` the server's sale is a stand-in that moves nothing (bench/stack.py): the
same load then measures what the web stack alone allows a sale, layer by layer, beside pgbench.
"""

from __future__ import annotations

import argparse
import itertools
import os
import queue
import random
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import accumulate

from sqlalchemy import func, select, text

from bench import stack
from bench.ceiling import bracketed_ceiling, pgbench
from bench.client import JsonClient
from bench.common import cpu_probe_for, median, percentile, progress, report, server_url
from bench.seed import SeededCard, seed_cards
from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards.qr import issue_qr_token
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.hashing import hash_secret
from mileage.migrations_runner import upgrade_database
from mileage.models import MerchantStatus, Redemption
from mileage.people.tokens import TokenSigner
from mileage.shops import merchants, offers
from mileage.shops import terminals as shops_terminals
from tests.support.databases import scratch_database
from tests.support.gunicorn import GunicornServer

MAX_SECONDS = 300
SIGNING_KEY = "bench-redeem-token-signing-key-0123456789"
# A card that cannot cover the discount is the programme working as designed, not a failure.
REFUSAL_CODES = frozenset({"insufficient_balance"})


@dataclass(frozen=True)
class Till:
    """A shop's terminal as the load sees it: its access token."""

    merchant_id: int
    access_token: str


@dataclass
class Tally:
    """One load thread's results inside the measured window."""

    latencies_ms: list[float] = field(default_factory=list)
    refused: int = 0
    errors: Counter = field(default_factory=Counter)
    acknowledged: int = 0  # every 201, warm-up included, to compare with the database afterwards

    def record(self, outcome: tuple[int, str | None], latency_ms: float, *, measured: bool) -> None:
        """Count one answer; only a measured one (outside the warm-up) adds a latency or a failure."""
        if outcome[0] == 201:
            self.acknowledged += 1
        if not measured:
            return
        if outcome[0] == 201:
            self.latencies_ms.append(latency_ms)
        elif outcome[1] in REFUSAL_CODES:
            self.refused += 1
        else:
            self.errors[f"{outcome[0]}:{outcome[1]}"] += 1


@dataclass(frozen=True)
class Load:
    """What every request draws from: the tills, the cards by Zipf rank, and the QR signer."""

    tills: list[Till]
    cards_by_rank: list[SeededCard]
    cumulative: list[float]
    signer: TokenSigner

    def redeem_once(self, client: JsonClient, rng: random.Random) -> tuple[int, str | None]:
        """Redeem a fresh QR token of a drawn card at a random till; (0, error) when the connection failed."""
        card = rng.choices(self.cards_by_rank, cum_weights=self.cumulative)[0]
        till = self.tills[rng.randrange(len(self.tills))]
        body = {"scanned": issue_qr_token(self.signer, card).token,
                "purchase_amount": rng.randrange(5_000, 50_001, 100)}
        headers = {"Authorization": f"Bearer {till.access_token}", "Idempotency-Key": uuid.uuid4().hex}
        try:
            reply = client.request("POST", "/merchant/redemptions", body, headers)
        except OSError as exc:
            client.close()
            return 0, type(exc).__name__
        return reply.status, reply.code


def seed_shops(sessions, count: int) -> tuple[list[tuple[int, str]], str]:
    """Register, activate and give an offer to `count` shops; return their terminal key ids and the secret.

    The shops go through the services. Their terminals are written with SQL and share one secret,
    so seeding costs one argon2 hash instead of one per terminal.
    """
    secret = secrets.token_urlsafe(24)
    secret_hash = hash_secret(secret)

    def shops(session):
        terminals = []
        for n in range(1, count + 1):
            first_nine = f"{100_000_000 + n * 7919:09d}"
            merchant = merchants.register_merchant(
                session, name=f"노원 상점 {n}", category="음식점", actor=SYSTEM_ACTOR,
                business_number=first_nine + str(merchants.business_number_check_digit(first_nine)),
            )
            offers.set_offer(
                session, merchant.id, actor=SYSTEM_ACTOR,
                rate_bp=300 + 100 * (n % 8), max_discount=1000 + 500 * (n % 5), min_purchase=1000 * (n % 3),
            )
            merchants.change_merchant_status(session, merchant.id, MerchantStatus.ACTIVE, actor=SYSTEM_ACTOR)
            key_id = shops_terminals.TERMINAL_KEY_PREFIX + secrets.token_hex(8)
            session.execute(
                text(
                    "INSERT INTO merchant_terminals (merchant_id, label, key_id, secret_hash, created_at)"
                    " VALUES (:merchant, '1번 계산대', :key_id, :hash, now())"
                ),
                {"merchant": merchant.id, "key_id": key_id, "hash": secret_hash},
            )
            terminals.append((merchant.id, key_id))
        return terminals

    return run_in_transaction(sessions, shops), secret


def sign_in_tills(base_url: str, terminals: list[tuple[int, str]], secret: str) -> list[Till]:
    """Exchange every terminal's key id and secret for an access token, as a till does at start-up."""

    def sign_in(terminal: tuple[int, str]) -> Till:
        merchant_id, key_id = terminal
        reply = JsonClient(base_url).request("POST", "/merchant/auth/token", {"key_id": key_id, "secret": secret})
        if reply.status != 200:
            raise RuntimeError(f"terminal sign-in failed: {reply.status} {reply.body}")
        return Till(merchant_id, reply.body["access_token"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(sign_in, terminals))


def zipf_cumulative_weights(count: int, exponent: float) -> list[float]:
    """Return cumulative Zipf weights for ranks 1..count (rank r is drawn in proportion to 1 / r^s)."""
    return list(accumulate(1 / rank**exponent for rank in range(1, count + 1)))


def run_load(
    base_url: str,
    load: Load,
    *,
    clients: int,
    warmup: float,
    seconds: float,
    cpu_probe: Callable[[], dict[str, float]],
) -> tuple[list[Tally], dict[str, float]]:
    """Redeem from `clients` threads; only requests started inside the measured window are tallied.

    Also return the CPU seconds `cpu_probe` saw used during the window, per process group.
    """
    start_gate = threading.Barrier(clients + 1)
    window: dict[str, float] = {}
    tallies = [Tally() for _ in range(clients)]

    def client_thread(index: int) -> None:
        rng = random.Random(index)
        client = JsonClient(base_url)
        tally = tallies[index]
        start_gate.wait()
        while True:
            started = time.monotonic()
            if started >= window["end"]:
                break
            outcome = load.redeem_once(client, rng)
            tally.record(outcome, (time.monotonic() - started) * 1000, measured=started >= window["measure"])
        client.close()

    threads = [threading.Thread(target=client_thread, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    now = time.monotonic()
    window.update(measure=now + warmup, end=now + warmup + seconds)
    start_gate.wait()
    time.sleep(max(0.0, window["measure"] - time.monotonic()))
    before = cpu_probe()
    time.sleep(max(0.0, window["end"] - time.monotonic()))
    after = cpu_probe()
    for thread in threads:
        thread.join()
    return tallies, {group: after[group] - before[group] for group in after}


def run_open_loop(
    base_url: str,
    load: Load,
    *,
    rate: float,
    connections: int,
    warmup: float,
    seconds: float,
    cpu_probe: Callable[[], dict[str, float]],
) -> tuple[list[Tally], dict[str, float], int]:
    """Send redemptions at a fixed arrival rate over `connections` keep-alive connections.

    Each request is due at start + n / rate. Latency runs from that moment, so time spent waiting
    for a free connection counts, as it would for the cashier. Returns the tallies, the CPU used
    in the measured window, and how many requests started more than 10 ms late.
    """
    due_queue: queue.Queue[float | None] = queue.Queue()
    tallies = [Tally() for _ in range(connections)]
    window: dict[str, float] = {}
    late = [0] * connections

    def connection_thread(index: int) -> None:
        rng = random.Random(index)
        client = JsonClient(base_url)
        tally = tallies[index]
        while (due := due_queue.get()) is not None:
            started = time.monotonic()
            if started - due > 0.010:
                late[index] += 1
            outcome = load.redeem_once(client, rng)
            tally.record(outcome, (time.monotonic() - due) * 1000, measured=due >= window["measure"])
        client.close()

    threads = [threading.Thread(target=connection_thread, args=(i,), daemon=True) for i in range(connections)]
    for thread in threads:
        thread.start()
    start = time.monotonic() + 0.1
    window.update(measure=start + warmup, end=start + warmup + seconds)
    before = None
    for n in itertools.count():
        due = start + n / rate
        if due >= window["end"]:
            break
        if before is None and due >= window["measure"]:
            before = cpu_probe()
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        due_queue.put(due)
    for _ in threads:
        due_queue.put(None)
    for thread in threads:
        thread.join()
    after = cpu_probe()
    before = before or after
    return tallies, {group: after[group] - before[group] for group in after}, sum(late)


def _served_app(layers: str | None) -> dict:
    """Return the GunicornServer options that serve the app, or with --stack its stand-in sale."""
    environment = {"TOKEN_SIGNING_KEY": SIGNING_KEY}
    if layers is None:
        return {"extra_environment": environment}
    return {"app": "bench.stack:create_app()", "extra_environment": {**environment, stack.LAYERS_VARIABLE: layers}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help=f"measured load duration (at most {MAX_SECONDS})")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--merchants", type=int, default=100)
    parser.add_argument("--balance", type=int, default=1_000_000, help="points on each card at the start")
    parser.add_argument("--zipf", type=float, default=0.99, help="Zipf exponent of the card draw (YCSB's 0.99)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--pgbench-scale", type=int, default=1)
    parser.add_argument("--no-pgbench", action="store_true", help="skip the ceiling (for quick tuning runs)")
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop: redemptions per second on a fixed schedule, over --clients connections")
    parser.add_argument("--stack", default=None, metavar="LAYERS",
                        help=f"serve the sale as one SELECT behind these layers only ({', '.join(stack.LAYERS)}); "
                             "see bench/stack.py")
    options = parser.parse_args()
    seconds = max(1, min(options.seconds, MAX_SECONDS))
    layers = None
    if options.stack is not None:
        try:
            layers = stack.parse_layers(options.stack)
        except ValueError as exc:
            parser.error(str(exc))

    figures: dict = {}
    with scratch_database(server_url()) as url, ExitStack() as ceiling:
        progress(f"migrating scratch database {url.rsplit('/', 1)[-1]}")
        upgrade_database(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        progress(f"seeding {options.cards:,} cards with {options.balance:,} points each")
        cards = seed_cards(engine, options.cards, balance=options.balance)
        progress(f"seeding {options.merchants} shops with offers and terminals")
        terminals, secret = seed_shops(sessions, options.merchants)
        cards_by_rank = random.Random(7).sample(cards, len(cards))
        cumulative = zipf_cumulative_weights(len(cards_by_rank), options.zipf)
        run_pgbench = None if options.no_pgbench else ceiling.enter_context(
            pgbench(server_url(), scale=options.pgbench_scale)
        )

        server = GunicornServer(url, workers=options.workers, threads=options.threads, **_served_app(options.stack))
        with server:
            progress(f"gunicorn: {options.workers} workers x {options.threads} threads; signing in the terminals")
            tills = sign_in_tills(server.base_url, terminals, secret)

            def load():
                work = Load(tills, cards_by_rank, cumulative, TokenSigner(key=SIGNING_KEY))
                probe = cpu_probe_for(server, engine)
                if options.rate:
                    progress(f"open loop: {options.rate:g}/s over {options.clients} connections, "
                             f"{options.warmup:g} s warm-up + {seconds} s measured")
                    tallies, cpu, late = run_open_loop(
                        server.base_url, work, rate=options.rate,
                        connections=options.clients, warmup=options.warmup, seconds=seconds, cpu_probe=probe,
                    )
                    figures["late_starts"] = late
                else:
                    progress(f"load: {options.clients} clients, {options.warmup:g} s warm-up + {seconds} s measured")
                    tallies, cpu = run_load(
                        server.base_url, work, clients=options.clients, warmup=options.warmup, seconds=seconds,
                        cpu_probe=probe,
                    )
                return tallies, cpu, max(server.worker_rss_mb(), default=0.0)

            if run_pgbench is None:
                (tallies, cpu, worker_rss), tps, tps_runs = load(), None, None
            else:
                (tallies, cpu, worker_rss), tps, tps_runs = bracketed_ceiling(
                    run_pgbench, options.clients, seconds, load
                )

        progress("checking the ledger invariants")
        with sessions() as session:
            invariants = ledger.check_invariants(session)
            recorded = session.scalar(select(func.count()).select_from(Redemption))
        engine.dispose()

    latencies = [value for tally in tallies for value in tally.latencies_ms]
    errors = sum((tally.errors for tally in tallies), Counter())
    redeem_per_s = len(latencies) / seconds
    acknowledged = sum(tally.acknowledged for tally in tallies)
    if errors:
        progress(f"errors by status:code: {dict(errors)}")
    report(
        {
            "benchmark": "redeem",
            "redeem_per_s": round(redeem_per_s, 1),
            "p50_ms": round(median(latencies), 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
            "pgbench_tps": tps,
            "ratio": round(redeem_per_s / tps, 3) if tps else None,
            "pgbench_tps_before_after": tps_runs,
            "errors": sum(errors.values()),
            "refused": sum(tally.refused for tally in tallies),
            "invariants_ok": invariants.ok,
            # The stand-in sale of --stack records nothing.
            "recorded_equals_acknowledged": recorded == acknowledged if layers is None else None,
            "worker_rss_mb": round(worker_rss, 1),
            # CPU milliseconds per successful redemption, by who spent them: robust to a busy machine.
            **{f"{group}_cpu_ms": round(1000 * used / len(latencies), 2) if latencies else None
               for group, used in cpu.items()},
            "client_cpu_share": round(cpu["client"] / (seconds * (os.cpu_count() or 1)), 3),
            **figures,
            "mode": f"open loop at {options.rate:g}/s" if options.rate else "closed loop",
            **({"stack": ",".join(sorted(layers))} if layers is not None else {}),
            "clients": options.clients,
            "seconds": seconds,
            "workers": options.workers,
            "threads": options.threads,
            "pgbench_scale": options.pgbench_scale,
        }
    )


if __name__ == "__main__":
    main()
