"""A bank workload over HTTP, after Jepsen's: many clients move points, each logs what was acknowledged.

`seed_world` commits cards, shops, causes and claims to a scratch database. `Workload` runs client
threads against a live server for a bounded time; every request that moves points carries its own
Idempotency-Key and is logged with its outcome:

- ok: a 2xx answer; the operation must exist exactly once;
- refused: a final 4xx answer; nothing of it may exist;
- not_sent: the connection was refused before a byte was sent; nothing of it may exist;
- unknown: the connection broke after sending, a 5xx, or an answer that invites a retry (a conflict);
  `retry_unknown` resends it with the same key and body until the answer is definite.

An impatient till gives up on some requests after a few milliseconds, shorter than the server's
work, and resends at once with the same key: the retry races the original still running.

`check_history` then compares the database with the log: the ledger invariants, each operation
exactly once, every key with one final answer (the one stored), nothing half-applied, shop, cause,
holds and card balances equal to the acknowledged sums, and no balance ever read below zero.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mileage import ledger
from mileage.clock import seoul_today
from mileage.db import make_session_factory, run_in_transaction
from mileage.errors import all_error_classes
from mileage.models import (
    Account,
    AccountKind,
    Card,
    Claim,
    Donation,
    Hold,
    IdempotentRequest,
    JournalEntry,
    Redemption,
    Refund,
)
from mileage.people.tokens import ACCESS, Principal, TokenSigner
from tests.support.factories import Factories

TOKEN_SIGNING_KEY = "reliability-token-signing-key-of-32-bytes"
SERVER_ENVIRONMENT = {"TOKEN_SIGNING_KEY": TOKEN_SIGNING_KEY, "SECRET_KEY": "reliability-secret-key"}
CLIENT_THREADS = 16
VOLUNTEERS = 12
MERCHANTS = 4
TERMINALS_PER_MERCHANT = 2
CAUSES = 2
CLAIMS_PER_VOLUNTEER = 40
# Small balances against a 3,000-point cap: hot cards run dry, so clients race for the last points.
INITIAL_BALANCE = 8_000
PIN = "4321"
# A client that met a failure waits this long, as a real till would, instead of spinning.
BACK_OFF_SECONDS = 0.2
# The share of requests an impatient till gives up on after IMPATIENT_TIMEOUTS seconds, then resends.
IMPATIENCE = 0.25
IMPATIENT_TIMEOUTS = (0.001, 0.03)
# Answers that say nothing happened: never an idempotency key's final answer.
RETRY_INVITING_CODES = frozenset(
    {cls.code for cls in all_error_classes() if cls.invites_retry} | {"too_many_requests", "database_unavailable"}
)

# What the clients do, and how often (relative weights).
MIX = {
    "read": 20,
    "redeem": 24,
    "authorize": 9,
    "capture": 6,
    "void": 4,
    "refund": 10,
    "donate": 6,
    "donate_for": 2,
    "approve": 10,
    "reissue": 2,
}

# The one error envelope every failure answers with.
ENVELOPE_KEYS = {"code", "status", "message", "errors", "request_id"}
DONATION_ROUTE = "/me/donations"
DONATION_ON_BEHALF_ROUTE = "/admin/donations"


# --- the world the clients act in -----------------------------------------------------------

@dataclass
class VolunteerSeed:
    volunteer_id: int
    user_id: int
    card_id: int
    card_number: str


@dataclass
class MerchantSeed:
    merchant_id: int
    account_id: int
    terminal_ids: list[int]
    # terminal id -> (key id, secret), for `Authorization: Terminal <key id>:<secret>`
    credentials: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass
class World:
    """What `seed_world` committed: ids the clients and the checker need."""

    staff_user_id: int
    volunteers: list[VolunteerSeed]
    merchants: list[MerchantSeed]
    causes: dict[int, int]  # cause id -> account id
    claims: list[tuple[int, int]]  # (claim id, volunteer id), all submitted
    holds_account_id: int


def seed_world(engine) -> World:
    """Commit volunteers with cards, PINs and points, shops with terminals, causes and submitted claims."""
    factory = make_session_factory(engine)

    def people(session: Session) -> World:
        make = Factories(session)
        organisation = make.organisation()
        staff = make.user(role="staff")
        volunteers = []
        for _ in range(VOLUNTEERS):
            card = make.card(balance=INITIAL_BALANCE, pin=PIN)
            user = make.user(role="volunteer", volunteer_id=card.volunteer_id)
            volunteers.append(VolunteerSeed(card.volunteer_id, user.id, card.id, card.number))
        merchants = []
        for _ in range(MERCHANTS):
            merchant = make.merchant()
            terminals = [make.terminal(merchant) for _ in range(TERMINALS_PER_MERCHANT)]
            merchants.append(
                MerchantSeed(
                    merchant.id, merchant.account_id, [made.terminal.id for made in terminals],
                    {made.terminal.id: (made.terminal.key_id, made.secret) for made in terminals},
                )
            )
        causes = {}
        for _ in range(CAUSES):
            cause = make.cause()
            causes[cause.id] = cause.account_id
        claims = []
        today = seoul_today()
        for seed in volunteers:
            volunteer = session.get(Card, seed.card_id).volunteer
            for days_ago in range(1, CLAIMS_PER_VOLUNTEER + 1):
                claim = make.claim(
                    volunteer=volunteer, organisation=organisation, work_date=today - timedelta(days=days_ago)
                )
                claims.append((claim.id, seed.volunteer_id))
        holds = ledger.system_account(session, AccountKind.HOLDS)
        return World(staff.id, volunteers, merchants, causes, claims, holds.id)

    return run_in_transaction(factory, people)


# --- talking HTTP ---------------------------------------------------------------------------

class NotSent(Exception):
    """The server refused the connection: the request never left this process."""


class Indeterminate(Exception):
    """The connection broke after the request was (perhaps) sent: it may or may not have happened."""


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def is_final(self) -> bool:
        """Tell whether this answer is final: a success, or a refusal that does not invite a retry."""
        if 200 <= self.status < 300:
            return True
        body = self.json()
        return 400 <= self.status < 500 and isinstance(body, dict) and body.get("code") not in RETRY_INVITING_CODES


class HttpClient:
    """One keep-alive connection to the server; every failure is classified as not sent or unknown."""

    def __init__(self, base_url: str, timeout: float = 30):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.connection: http.client.HTTPConnection | None = None

    def send(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
        *, timeout: float | None = None,
    ) -> Reply:
        """Send one request and return the reply, giving up after `timeout` seconds if given.

        :raises NotSent:
        :raises Indeterminate:
        """
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.connect()
            except OSError as exc:  # refused, or nobody listening: nothing was sent
                self.close()
                raise NotSent(str(exc)) from exc
        all_headers = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            self.connection.timeout = timeout or self.timeout
            if self.connection.sock is not None:
                self.connection.sock.settimeout(self.connection.timeout)
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Indeterminate(f"{type(exc).__name__}: {exc}") from exc
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- the log --------------------------------------------------------------------------------

@dataclass
class Operation:
    """One logical request that moves points, with everything needed to resend and to check it."""

    kind: str
    method: str
    path: str
    body: bytes | None
    principal: Principal
    key: str
    volunteer_id: int | None = None
    merchant_id: int | None = None
    hold_id: int | None = None
    hold_amount: int | None = None
    claim_id: int | None = None
    card_id: int | None = None
    cause_id: int | None = None
    outcome: str = "pending"
    status: int | None = None
    reply: dict | None = None
    answers: list = field(default_factory=list)
    # Every final answer the client got for this key, (status, body): all must be the same one.
    final_answers: list[tuple[int, dict]] = field(default_factory=list)

    @property
    def scoped_key(self) -> str:
        """The key the server's idempotency table stores for this request."""
        return f"{self.principal.scope}:{self.method}:{self.path}:{self.key}"


@dataclass
class ServerError:
    """A 5xx answer: what it was and whether it had the one JSON envelope."""

    status: int
    body: bytes
    at: float


class Workload:
    """Client threads running a random mix against a server for a bounded time."""

    def __init__(self, world: World, base_url: Callable[[], str], *, seed: int = 0, impatience: float = IMPATIENCE):
        self.world = world
        self.impatience = impatience
        self.base_url = base_url
        self.random = random.Random(seed)
        self.signer = TokenSigner(TOKEN_SIGNING_KEY, access_ttl=timedelta(hours=2))
        self.lock = threading.Lock()
        self.operations: list[Operation] = []
        self.reads: list[tuple[int, int]] = []  # (volunteer id, balance seen)
        self.server_errors: list[ServerError] = []
        self.timeline: list[tuple[float, int]] = []  # (monotonic time, HTTP status) of every answer
        self.current_cards = {v.volunteer_id: (v.card_id, v.card_number) for v in world.volunteers}
        self.impatient_retries = 0
        self.redemptions: list[dict] = []
        self.open_holds: list[dict] = []
        self.pending_claims = list(world.claims)
        self.random.shuffle(self.pending_claims)
        self.tokens: dict[Principal, str] = {}
        self.stop = threading.Event()
        # Hot cards: volunteer i is picked with weight 1 / (i + 1).
        self.volunteer_weights = [1 / (index + 1) for index in range(len(world.volunteers))]

    # principals and tokens

    def token_for(self, principal: Principal) -> str:
        with self.lock:
            token = self.tokens.get(principal)
            if token is None:
                claims = {"sub": principal.scope, **principal.claims()}
                token = self.signer.sign(claims, token_type=ACCESS, ttl=self.signer.access_ttl)
                self.tokens[principal] = token
            return token

    def staff(self) -> Principal:
        return Principal(role="staff", user_id=self.world.staff_user_id)

    def volunteer_principal(self, seed: VolunteerSeed) -> Principal:
        return Principal(role="volunteer", user_id=seed.user_id, volunteer_id=seed.volunteer_id)

    def terminal(self, merchant: MerchantSeed, rng: random.Random) -> Principal:
        terminal_id = rng.choice(merchant.terminal_ids)
        return Principal(role="merchant", merchant_id=merchant.merchant_id, terminal_id=terminal_id)

    # running

    def run(self, seconds: float, *, threads: int = CLIENT_THREADS, events: list[tuple[float, Callable]] = ()) -> None:
        """Run the clients for `seconds`; call each event at its offset (seconds) from the start."""
        self.stop.clear()
        workers = [
            threading.Thread(target=self._client, args=(index,), name=f"client-{index}", daemon=True)
            for index in range(threads)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        try:
            for offset, event in sorted(events, key=lambda pair: pair[0]):
                time.sleep(max(0.0, started + offset - time.monotonic()))
                event()
            time.sleep(max(0.0, started + seconds - time.monotonic()))
        finally:
            self.stop.set()
            for worker in workers:
                worker.join(60)
        stuck = [worker.name for worker in workers if worker.is_alive()]
        assert not stuck, f"clients still running: {stuck}"

    def _client(self, index: int) -> None:
        rng = random.Random(self.random.random() + index)
        client = HttpClient(self.base_url())
        kinds = list(MIX)
        weights = [MIX[kind] for kind in kinds]
        try:
            while not self.stop.is_set():
                kind = rng.choices(kinds, weights)[0]
                errors_before = len(self.server_errors)
                try:
                    getattr(self, f"_do_{kind}")(client, rng)
                except (NotSent, Indeterminate):
                    time.sleep(BACK_OFF_SECONDS)  # the server is down; do not spin
                if len(self.server_errors) > errors_before:
                    time.sleep(BACK_OFF_SECONDS)
        finally:
            client.close()

    def _volunteer(self, rng: random.Random) -> VolunteerSeed:
        return rng.choices(self.world.volunteers, self.volunteer_weights)[0]

    def _get(self, client: HttpClient, path: str, principal: Principal) -> Reply:
        reply = client.send("GET", path, headers={"Authorization": f"Bearer {self.token_for(principal)}"})
        self._note_answer(reply)
        return reply

    def _note_answer(self, reply: Reply) -> None:
        with self.lock:
            self.timeline.append((time.monotonic(), reply.status))
            if reply.status >= 500:
                self.server_errors.append(ServerError(reply.status, reply.body, time.monotonic()))

    def submit(self, client: HttpClient, op: Operation, rng: random.Random) -> Operation:
        """Send an operation as a till would: now and then it gives up early and resends at once."""
        if rng.random() >= self.impatience:
            return self.execute(client, op)
        try:
            return self.execute(client, op, timeout=rng.uniform(*IMPATIENT_TIMEOUTS))
        except Indeterminate:
            # The first attempt may still be running on the server: this retry races it.
            with self.lock:
                self.impatient_retries += 1
            return self.execute(client, op)

    def execute(self, client: HttpClient, op: Operation, *, timeout: float | None = None) -> Operation:
        """Send an operation once and log its outcome (a fresh operation is logged first)."""
        with self.lock:
            if op.outcome == "pending":
                self.operations.append(op)
        headers = {"Authorization": f"Bearer {self.token_for(op.principal)}", "Idempotency-Key": op.key}
        try:
            reply = client.send(op.method, op.path, op.body, headers, timeout=timeout)
        except NotSent:
            if op.outcome in ("pending", "not_sent"):
                op.outcome = "not_sent"
            op.answers.append("not sent")
            raise
        except Indeterminate as exc:
            op.outcome = "unknown"
            op.answers.append(str(exc)[:80])
            raise
        self._note_answer(reply)
        op.status = reply.status
        op.reply = reply.json()
        op.answers.append(reply.status)
        if reply.is_final:
            op.final_answers.append((reply.status, op.reply))
        if 200 <= reply.status < 300:
            op.outcome = "ok"
            self._acknowledged(op)
        elif reply.is_final:
            op.outcome = "refused"
        else:
            op.outcome = "unknown"  # nothing happened yet, or the original still runs: ask again
        return op

    # the operations

    def _do_read(self, client: HttpClient, rng: random.Random) -> None:
        seed = self._volunteer(rng)
        reply = self._get(client, "/me/card", self.volunteer_principal(seed))
        if reply.status == 200:
            with self.lock:
                self.reads.append((seed.volunteer_id, reply.json()["balance"]))

    def _scan_for(self, client: HttpClient, rng: random.Random, seed: VolunteerSeed) -> dict | None:
        """Return what the cashier scans: a fresh QR token from the phone, or the printed number and PIN."""
        if rng.random() < 0.25:
            with self.lock:
                _card_id, number = self.current_cards[seed.volunteer_id]
            return {"scanned": number, "pin": PIN}
        reply = self._get(client, "/me/card/qr", self.volunteer_principal(seed))
        if reply.status != 200:
            return None
        return {"scanned": reply.json()["token"]}

    def _purchase(self, rng: random.Random, scan: dict) -> dict:
        body = {**scan, "purchase_amount": rng.randrange(1_000, 40_000, 100)}
        if rng.random() < 0.2:
            body["discount"] = rng.randint(1, 2_000)
        return body

    def _do_redeem(
        self, client: HttpClient, rng: random.Random, kind: str = "redeem", path: str = "/merchant/redemptions"
    ) -> None:
        seed = self._volunteer(rng)
        scan = self._scan_for(client, rng, seed)
        if scan is None:
            return
        merchant = rng.choice(self.world.merchants)
        op = Operation(
            kind=kind, method="POST", path=path, body=_json(self._purchase(rng, scan)),
            principal=self.terminal(merchant, rng), key=_new_key(),
            volunteer_id=seed.volunteer_id, merchant_id=merchant.merchant_id,
        )
        self.submit(client, op, rng)

    def _do_authorize(self, client: HttpClient, rng: random.Random) -> None:
        self._do_redeem(client, rng, kind="authorize", path="/merchant/holds")

    def _pick_hold(self, rng: random.Random) -> dict | None:
        with self.lock:
            return rng.choice(self.open_holds) if self.open_holds else None

    def _do_capture(self, client: HttpClient, rng: random.Random) -> None:
        hold = self._pick_hold(rng)
        if hold is None:
            return self._do_read(client, rng)
        body = {}
        if rng.random() < 0.5:
            body["amount"] = rng.randint(1, hold["amount"])
        op = Operation(
            kind="capture", method="POST", path=f"/merchant/holds/{hold['id']}/capture", body=_json(body),
            principal=hold["principal"], key=_new_key(), volunteer_id=hold["volunteer_id"],
            merchant_id=hold["merchant_id"], hold_id=hold["id"], hold_amount=hold["amount"],
        )
        self.submit(client, op, rng)

    def _do_void(self, client: HttpClient, rng: random.Random) -> None:
        hold = self._pick_hold(rng)
        if hold is None:
            return self._do_read(client, rng)
        op = Operation(
            kind="void", method="POST", path=f"/merchant/holds/{hold['id']}/void", body=None,
            principal=hold["principal"], key=_new_key(), volunteer_id=hold["volunteer_id"],
            merchant_id=hold["merchant_id"], hold_id=hold["id"], hold_amount=hold["amount"],
        )
        self.submit(client, op, rng)

    def _do_refund(self, client: HttpClient, rng: random.Random) -> None:
        with self.lock:
            candidates = [r for r in self.redemptions if r["refundable"] > 0]
            redemption = rng.choice(candidates) if candidates else None
        if redemption is None:
            return self._do_redeem(client, rng)
        body = {"reason": "고객 요청"}
        if rng.random() < 0.6:
            body["amount"] = rng.randint(1, redemption["refundable"])
        merchant = next(m for m in self.world.merchants if m.merchant_id == redemption["merchant_id"])
        op = Operation(
            kind="refund", method="POST", path=f"/merchant/redemptions/{redemption['id']}/refunds",
            body=_json(body), principal=self.terminal(merchant, rng), key=_new_key(),
            volunteer_id=redemption["volunteer_id"], merchant_id=merchant.merchant_id,
        )
        self.submit(client, op, rng)

    def _do_donate(self, client: HttpClient, rng: random.Random) -> None:
        seed = self._volunteer(rng)
        cause_id = rng.choice(sorted(self.world.causes))
        body = {"cause_id": cause_id, "points": rng.randint(1, 1_500)}
        op = Operation(
            kind="donate", method="POST", path=DONATION_ROUTE, body=_json(body),
            principal=self.volunteer_principal(seed), key=_new_key(), volunteer_id=seed.volunteer_id,
            cause_id=cause_id,
        )
        self.submit(client, op, rng)

    def _do_donate_for(self, client: HttpClient, rng: random.Random) -> None:
        """Staff convert a volunteer's points into a donation on their behalf, with written consent."""
        seed = self._volunteer(rng)
        cause_id = rng.choice(sorted(self.world.causes))
        body = {
            "volunteer_id": seed.volunteer_id, "cause_id": cause_id, "points": rng.randint(1, 1_500),
            "consent": {"method": "written", "note": "연말 나눔 동의서"},
        }
        op = Operation(
            kind="donate", method="POST", path=DONATION_ON_BEHALF_ROUTE, body=_json(body),
            principal=self.staff(), key=_new_key(), volunteer_id=seed.volunteer_id, cause_id=cause_id,
        )
        self.submit(client, op, rng)

    def _do_approve(self, client: HttpClient, rng: random.Random) -> None:
        with self.lock:
            claim = self.pending_claims.pop() if self.pending_claims else None
        if claim is None:
            return self._do_read(client, rng)
        claim_id, volunteer_id = claim
        op = Operation(
            kind="approve", method="POST", path=f"/admin/claims/{claim_id}/approve", body=None,
            principal=self.staff(), key=_new_key(), volunteer_id=volunteer_id, claim_id=claim_id,
        )
        self.submit(client, op, rng)

    def _do_reissue(self, client: HttpClient, rng: random.Random) -> None:
        seed = rng.choice(self.world.volunteers)
        with self.lock:
            card_id, _number = self.current_cards[seed.volunteer_id]
        op = Operation(
            kind="reissue", method="POST", path=f"/admin/cards/{card_id}/reissue", body=None,
            principal=self.staff(), key=_new_key(), volunteer_id=seed.volunteer_id, card_id=card_id,
        )
        self.submit(client, op, rng)

    def _acknowledged(self, op: Operation) -> None:
        """Update what the clients know after an acknowledged operation."""
        reply = op.reply
        with self.lock:
            if op.kind in ("redeem", "capture"):
                self.redemptions.append(
                    {"id": reply["id"], "merchant_id": op.merchant_id, "volunteer_id": op.volunteer_id,
                     "refundable": reply["refundable"]}
                )
            if op.kind in ("capture", "void"):
                self.open_holds = [hold for hold in self.open_holds if hold["id"] != op.hold_id]
            elif op.kind == "authorize":
                self.open_holds.append(
                    {"id": reply["id"], "amount": reply["amount"], "merchant_id": op.merchant_id,
                     "volunteer_id": op.volunteer_id, "principal": op.principal}
                )
            elif op.kind == "refund":
                for redemption in self.redemptions:
                    if redemption["id"] == reply["redemption_id"]:
                        redemption["refundable"] = reply["remaining"]
            elif op.kind == "reissue":
                card = reply["card"]
                if self.current_cards[op.volunteer_id][0] == op.card_id:
                    self.current_cards[op.volunteer_id] = (card["id"], card["number"])

    # after faults

    def unresolved(self) -> list[Operation]:
        return [op for op in self.operations if op.outcome == "unknown"]

    def retry_unknown(self, *, within: float = 60, pause: float = 0.5) -> None:
        """Resend every operation whose outcome is unknown, with its original key and body, until definite."""
        deadline = time.monotonic() + within
        client = HttpClient(self.base_url())
        try:
            for op in self.unresolved():
                while time.monotonic() < deadline:
                    with contextlib.suppress(NotSent, Indeterminate):
                        self.execute(client, op)
                    if op.outcome != "unknown":
                        break
                    time.sleep(pause)
        finally:
            client.close()

    def replay_answered(self, *, sample: int = 100) -> list[str]:
        """Resend operations that got a final answer with their keys, as a till that lost the answer would.

        Each must get that answer again, success or refusal, marked as a replay; `check_history` then
        shows that nothing was posted twice. Returns what went wrong.
        """
        answered = [op for op in self.operations if op.final_answers]
        problems = []
        client = HttpClient(self.base_url())
        try:
            for op in self.random.sample(answered, min(sample, len(answered))):
                headers = {"Authorization": f"Bearer {self.token_for(op.principal)}", "Idempotency-Key": op.key}
                reply = client.send(op.method, op.path, op.body, headers)
                if (reply.status, reply.json()) != op.final_answers[0] or reply.headers.get(
                    "idempotent-replayed"
                ) != "true":
                    problems.append(f"{op.kind} {op.key} replayed as {reply.status} {reply.body[:200]!r}")
        finally:
            client.close()
        return problems

    def summary(self) -> dict:
        """Count operations by kind and outcome, and refusals by error code, for the test's output."""
        counts = Counter(f"{op.kind}:{op.outcome}" for op in self.operations)
        refusals = Counter(
            f"{op.kind}:{(op.reply or {}).get('code')}" for op in self.operations if op.outcome == "refused"
        )
        return {
            "operations": len(self.operations), "reads": len(self.reads), "impatient_retries": self.impatient_retries,
            **dict(sorted(counts.items())),
            "refusals": dict(refusals.most_common()),
        }


def _json(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _new_key() -> str:
    return uuid.uuid4().hex


# --- the checker ----------------------------------------------------------------------------

LEDGER_KEY_KINDS = {"redeem": Redemption, "refund": Refund, "authorize": Hold}


def check_history(engine, world: World, workload: Workload, *, server_errors_allowed=frozenset()) -> list[str]:
    """Compare the database with the clients' log; return every problem found (empty when all is well)."""
    problems: list[str] = [
        f"{error.status} answer: {error.body[:300]!r}"
        for error in workload.server_errors
        if error.status not in server_errors_allowed
    ][:10]
    ops = workload.operations
    unresolved = [op for op in ops if op.outcome not in ("ok", "refused", "not_sent")]
    if unresolved:
        problems.append(f"{len(unresolved)} operations never got a definite answer: {unresolved[:3]}")
    with Session(engine) as session:
        report = ledger.check_invariants(session)
        if not report.ok:
            problems.append(f"ledger invariants broken: {report.as_dict()}")
        problems += _check_one_answer_per_key(session, ops)
        problems += _check_each_operation(session, ops)
        problems += _check_nothing_half_applied(session, ops)
        problems += _check_balances(session, world, ops)
    negative = [(volunteer, balance) for volunteer, balance in workload.reads if balance < 0]
    if negative:
        problems.append(f"reads showed negative balances: {negative[:10]}")
    return problems


def _entries_with_client_key(session: Session, key: str) -> list[JournalEntry]:
    """The entries that moved points for a client's key (a refusal row moves nothing)."""
    return list(
        session.scalars(
            select(JournalEntry).where(JournalEntry.idempotency_key.like(f"%:{key}"), JournalEntry.kind != "refusal")
        )
    )


def _check_one_answer_per_key(session: Session, ops: list[Operation]) -> list[str]:
    """Every key got one final answer however often it was sent, and that answer is the one stored."""
    problems = []
    stored = {
        scoped_key: (status, json.loads(body) if body else None)
        for scoped_key, status, body in session.execute(
            select(IdempotentRequest.scoped_key, IdempotentRequest.status_code, IdempotentRequest.response_body)
            .where(IdempotentRequest.scoped_key.in_([op.scoped_key for op in ops]))
        )
    }
    for op in ops:
        answers = {json.dumps(answer, sort_keys=True) for answer in op.final_answers}
        if len(answers) > 1:
            problems.append(f"{op.kind} {op.key}: {len(answers)} different answers {op.final_answers[:3]}")
        elif op.final_answers and stored.get(op.scoped_key) != op.final_answers[0]:
            problems.append(f"{op.kind} {op.key}: answered {op.final_answers[0]}, stored {stored.get(op.scoped_key)}")
        elif not op.final_answers and op.scoped_key in stored:
            problems.append(f"{op.kind} {op.key}: no final answer seen, but one is stored {stored[op.scoped_key]}")
    return problems


# What a problem says when an acknowledged operation acted on a row that is not there at all: only a
# lost acknowledged write can do that (an asynchronous failover), as the row was there to act on.
MISSING = "(ok): its row is missing"


def _check_each_operation(session: Session, ops: list[Operation]) -> list[str]:
    """Every acknowledged operation exists exactly once, as acknowledged; every refused one not at all."""
    problems = []
    for op in ops:
        done = op.outcome == "ok"
        if op.kind in LEDGER_KEY_KINDS:
            model = LEDGER_KEY_KINDS[op.kind]
            entries = _entries_with_client_key(session, op.key)
            rows = list(session.scalars(select(model).where(model.idempotency_key.like(f"%:{op.key}"))))
            expected = 1 if done else 0
            if len(entries) != expected or len(rows) != expected:
                problems.append(f"{op.kind} {op.key} ({op.outcome}): {len(entries)} entries, {len(rows)} rows")
                continue
            if done:
                row = rows[0]
                amount = row.discount if op.kind == "redeem" else row.amount
                acknowledged = op.reply["discount"] if op.kind == "redeem" else op.reply["amount"]
                entry_id = row.authorize_entry_id if op.kind == "authorize" else row.entry_id
                if (row.id, amount, entry_id) != (op.reply["id"], acknowledged, entries[0].id):
                    problems.append(f"{op.kind} {op.key}: stored {row.id}/{amount}, acknowledged {op.reply}")
        elif op.kind == "donate":
            entries = _entries_with_client_key(session, op.key)
            if len(entries) != (1 if done else 0):
                problems.append(f"donation {op.key} ({op.outcome}): {len(entries)} entries")
            elif done:
                donation = session.scalar(select(Donation).where(Donation.entry_id == entries[0].id))
                if donation is None or (donation.id, donation.points) != (op.reply["id"], op.reply["points"]):
                    problems.append(f"donation {op.key}: stored {donation}, acknowledged {op.reply}")
        elif op.kind == "capture" and done:
            captured = list(session.scalars(select(Redemption).where(Redemption.hold_id == op.hold_id)))
            if len(captured) != 1 or captured[0].discount != op.reply["discount"] or captured[0].id != op.reply["id"]:
                problems.append(f"capture of hold {op.hold_id}: {[(r.id, r.discount) for r in captured]} vs {op.reply}")
        elif op.kind == "void" and done:
            hold = session.get(Hold, op.hold_id)
            if hold is None:
                problems.append(f"void of hold {op.hold_id} {MISSING}")
            elif hold.status != "voided":
                problems.append(f"void of hold {op.hold_id} acknowledged, but the hold is {hold.status}")
        elif op.kind == "approve" and done:
            claim = session.get(Claim, op.claim_id)
            entries = list(session.scalars(
                select(JournalEntry).where(JournalEntry.idempotency_key == f"claim:{op.claim_id}:approval")
            ))
            if claim is None:
                problems.append(f"approval of claim {op.claim_id} {MISSING}")
            elif claim.state != "approved" or len(entries) != 1 or claim.points != op.reply["points"]:
                problems.append(f"approval of claim {op.claim_id}: {claim.state}, {len(entries)} entries")
        elif op.kind == "reissue" and done:
            old = session.get(Card, op.card_id)
            if old is None:
                problems.append(f"reissue of card {op.card_id} {MISSING}")
            elif old.status != "replaced" or old.replaced_by_card_id != op.reply["card"]["id"]:
                problems.append(f"reissue of card {op.card_id}: {old.status}, replaced by {old.replaced_by_card_id}")
    return problems


def _check_nothing_half_applied(session: Session, ops: list[Operation]) -> list[str]:
    """Every entry has its domain row and every domain row its entry; no response was stored half-way."""
    problems = []
    half_stored = session.scalar(
        select(func.count()).select_from(IdempotentRequest).where(IdempotentRequest.status_code == 0)
    )
    if half_stored:
        problems.append(f"{half_stored} idempotency keys claimed without a stored response")
    entries_by_kind = defaultdict(set)
    for entry_id, kind in session.execute(select(JournalEntry.id, JournalEntry.kind)):
        entries_by_kind[kind].add(entry_id)
    expected_rows = {
        "redemption": set(session.scalars(select(Redemption.entry_id).where(Redemption.hold_id.is_(None)))),
        "hold_capture": set(session.scalars(select(Redemption.entry_id).where(Redemption.hold_id.is_not(None)))),
        "redemption_refund": set(session.scalars(select(Refund.entry_id))),
        "hold": set(session.scalars(select(Hold.authorize_entry_id))),
        "claim_approval": set(
            session.scalars(select(Claim.approval_entry_id).where(Claim.approval_entry_id.is_not(None)))
        ),
        "donation": set(session.scalars(select(Donation.entry_id))),
    }
    settled = set(session.scalars(select(Hold.settle_entry_id).where(Hold.settle_entry_id.is_not(None))))
    if entries_by_kind["hold_capture"] | entries_by_kind["hold_release"] != settled:
        problems.append("hold settlement entries and settled holds differ")
    for kind, rows in expected_rows.items():
        if entries_by_kind[kind] != rows:
            problems.append(
                f"{kind}: entries without a row {sorted(entries_by_kind[kind] - rows)[:5]}, "
                f"rows without an entry {sorted(rows - entries_by_kind[kind])[:5]}"
            )
    replaced = session.scalar(select(func.count()).select_from(Card).where(Card.replaced_by_card_id.is_not(None)))
    if len(entries_by_kind["card_reissue"]) > replaced:
        problems.append(f"{len(entries_by_kind['card_reissue'])} reissue entries for {replaced} replaced cards")
    # No phantom operations: every keyed row comes from a request some client logged.
    logged = {op.key for op in ops}
    for model in (Redemption, Refund, Hold):
        for key in session.scalars(select(model.idempotency_key).where(model.idempotency_key.is_not(None))):
            if key.rsplit(":", 1)[-1] not in logged:
                problems.append(f"{model.__tablename__} row with key {key} that no client sent")
    return problems


def _check_balances(session: Session, world: World, ops: list[Operation]) -> list[str]:
    """Shop, cause, holds and card balances equal the sums of what was acknowledged."""
    merchants: Counter = Counter()
    causes: Counter = Counter()
    volunteers: Counter = Counter({v.volunteer_id: INITIAL_BALANCE for v in world.volunteers})
    held = 0
    for op in ops:
        if op.outcome != "ok":
            continue
        reply = op.reply
        if op.kind == "redeem":
            merchants[op.merchant_id] += reply["discount"]
            volunteers[op.volunteer_id] -= reply["discount"]
        elif op.kind == "authorize":
            held += reply["amount"]
            volunteers[op.volunteer_id] -= reply["amount"]
        elif op.kind == "capture":
            held -= op.hold_amount
            merchants[op.merchant_id] += reply["discount"]
            volunteers[op.volunteer_id] += op.hold_amount - reply["discount"]
        elif op.kind == "void":
            held -= op.hold_amount
            volunteers[op.volunteer_id] += op.hold_amount
        elif op.kind == "refund":
            merchants[op.merchant_id] -= reply["amount"]
            volunteers[op.volunteer_id] += reply["amount"]
        elif op.kind == "donate":
            causes[op.cause_id] += reply["points"]
            volunteers[op.volunteer_id] -= reply["points"]
        elif op.kind == "approve":
            volunteers[op.volunteer_id] += reply["points"]
    balances = dict(session.execute(select(Account.id, Account.balance)).all())
    problems = []
    for merchant in world.merchants:
        if balances[merchant.account_id] != merchants[merchant.merchant_id]:
            problems.append(
                f"shop {merchant.merchant_id}: balance {balances[merchant.account_id]}, "
                f"acknowledged {merchants[merchant.merchant_id]}"
            )
    for cause_id, account_id in world.causes.items():
        if balances[account_id] != causes[cause_id]:
            problems.append(f"cause {cause_id}: balance {balances[account_id]}, acknowledged {causes[cause_id]}")
    if balances[world.holds_account_id] != held:
        problems.append(f"holds account: balance {balances[world.holds_account_id]}, acknowledged {held}")
    card_accounts = defaultdict(int)
    for volunteer_id, account_id in session.execute(select(Card.volunteer_id, Card.account_id)):
        card_accounts[volunteer_id] += balances[account_id]
    for volunteer in world.volunteers:
        if card_accounts[volunteer.volunteer_id] != volunteers[volunteer.volunteer_id]:
            problems.append(
                f"volunteer {volunteer.volunteer_id}: cards hold {card_accounts[volunteer.volunteer_id]}, "
                f"acknowledged {volunteers[volunteer.volunteer_id]}"
            )
    return problems
