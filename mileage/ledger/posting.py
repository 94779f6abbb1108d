"""Posting journal entries: balanced legs, idempotency keys and their refusals, transfers, reversals.

Every movement of points goes through `post_entry`, or `post_entries` for a batch; both run the one
engine `_post`. It is all-or-nothing (a savepoint), locks the accounts it touches in id order so that
concurrent postings cannot deadlock, and writes the balances with a conditional UPDATE, so that no
balance can go negative, even for an instant another transaction sees.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from sqlalchemy import bindparam, case, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.clock import utc_now
from mileage.db import adopt_persistent, insert_persistent, insert_unless_taken, keep_through_rollback
from mileage.errors import (
    AccountNotFound,
    DomainError,
    EntryAlreadyReversed,
    EntryNotFound,
    IdempotencyKeyReused,
    InsufficientBalance,
    InvalidAmount,
    TransactionConflict,
    UnbalancedEntry,
    error_class,
)
from mileage.models.ledger import MAY_GO_NEGATIVE, Account, EntryKind, JournalEntry, Posting


def keep_refusal(session: Session, refusal: DomainError, *, kind: str, idempotency_key: str | None,
                 fingerprint: str, actor_user_id: int | None = None) -> None:
    """Make a service's final refusal the key's answer for good, as the ledger does for want of points."""
    if idempotency_key is None:
        return
    keep_through_rollback(session, partial(_keep_refusal, refusal=refusal, kind=kind, idempotency_key=idempotency_key,
                                           request_fingerprint=fingerprint, actor_user_id=actor_user_id))


@dataclass(frozen=True)
class Leg:
    """One intended posting: a signed number of points on one account."""

    account_id: int
    amount: int


def request_fingerprint(payload: Mapping) -> str:
    """Return a stable hash of a request, to tell a retry from a different request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _entry_fingerprint(kind: str, legs, reverses_entry_id: int | None) -> str:
    """Return the fingerprint of an entry posted without a caller-supplied one: what it moves."""
    return request_fingerprint(
        {"kind": kind, "legs": [(leg.account_id, leg.amount) for leg in legs], "reverses": reverses_entry_id}
    )


def find_replay(session: Session, idempotency_key: str | None, fingerprint: str) -> JournalEntry | None:
    """Return the entry an idempotency key already produced, if any.

    :raises IdempotencyKeyReused: the key was used for a different request.
    :raises DomainError: the key was refused before; the same refusal is its only answer.
    """
    if idempotency_key is None:
        return None
    entry = session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == idempotency_key))
    if entry is None:
        return None
    if entry.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(idempotency_key=idempotency_key)
    if entry.kind == EntryKind.REFUSAL:
        raise error_class(entry.refusal["code"])(**entry.refusal["params"])
    return entry


def _keep_refusal(session: Session, refusal: DomainError, **row) -> None:
    """Record for good that the ledger refused a key; see `db.keep_through_rollback`.

    :raises TransactionConflict: a concurrent unit posted an entry with this key meanwhile.
    """
    values = {
        **row,
        "kind": EntryKind.REFUSAL,
        "memo": "",
        "refusal": {"kind": row["kind"], "code": refusal.code, "params": refusal.params},
        "created_at": utc_now(),
    }
    if insert_unless_taken(session, JournalEntry, values, unique="idempotency_key"):
        return
    kept = session.execute(
        select(JournalEntry.kind, JournalEntry.request_fingerprint)
        .where(JournalEntry.idempotency_key == row["idempotency_key"])
    ).one_or_none()
    if kept != (EntryKind.REFUSAL, row["request_fingerprint"]):
        raise TransactionConflict(idempotency_key=row["idempotency_key"])


@dataclass(frozen=True)
class NewEntry:
    """One entry to post: balanced legs, and the key, memo and actor it is recorded with."""

    kind: str
    legs: tuple[Leg, ...]
    idempotency_key: str | None = None
    memo: str = ""
    memo_params: dict | None = None
    actor_user_id: int | None = None
    reverses_entry_id: int | None = None
    # What identifies the request behind the key; by default, what the entry moves.
    fingerprint: str | None = None

    def request_fingerprint(self) -> str:
        return self.fingerprint or _entry_fingerprint(self.kind, self.legs, self.reverses_entry_id)


def post_entry(
    session: Session,
    *,
    kind: str,
    legs: Iterable[Leg],
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    memo: str = "",
    memo_params: dict | None = None,
    reverses_entry_id: int | None = None,
    actor_user_id: int | None = None,
    replay_checked: bool = False,
    atomic: bool = True,
    locked: Mapping[int, tuple[int, bool]] | None = None,
) -> JournalEntry:
    """Post one balanced journal entry, or replay the one its idempotency key already posted.

    A key whose entry was refused for want of points keeps that refusal (`db.keep_through_rollback`):
    asking again with it is refused again, even once the points are there.

    Two options spare the counter's hot path statements it does not need: `replay_checked` says the
    caller has just looked the key up and found nothing (a racing duplicate still fails on the
    unique key and reruns the unit); `atomic=False` posts without a savepoint, for callers whose
    unit of work is rolled back as a whole on any failure, so the savepoint would protect nothing.
    `locked` is what `lock_accounts` returned in this transaction for every account the entry touches.

    :raises InvalidAmount: an amount is not a non-zero integer.
    :raises UnbalancedEntry: the legs do not sum to zero, or there are fewer than two.
    :raises InsufficientBalance: a debit would take an account below zero; nothing is posted.
    :raises AccountNotFound:
    :raises IdempotencyKeyReused: the key belongs to a different request.
    :raises TransactionConflict: a concurrent request with the same key won; run the unit again.
    """
    entry = NewEntry(
        kind=kind, legs=tuple(legs), idempotency_key=idempotency_key, memo=memo, memo_params=memo_params,
        actor_user_id=actor_user_id,
        reverses_entry_id=reverses_entry_id, fingerprint=fingerprint,
    )
    if not replay_checked:
        replay = find_replay(session, idempotency_key, entry.request_fingerprint())
        if replay is not None:
            return replay
    try:
        [posted] = _post(session, [entry], atomic=atomic, already_locked=locked)
    except InsufficientBalance as refusal:
        if idempotency_key is not None:
            keep_through_rollback(
                session,
                partial(
                    _keep_refusal, refusal=refusal, kind=kind, idempotency_key=idempotency_key,
                    request_fingerprint=entry.request_fingerprint(), actor_user_id=actor_user_id,
                ),
            )
        raise
    return posted


def post_entries(session: Session, entries: list[NewEntry]) -> list[JournalEntry]:
    """Post many new entries in a few statements, all or nothing; return them in order.

    The rules are those of `post_entry`, applied entry after entry, and so is the code: balanced
    integer legs, every touched account locked in account-id order, no account below zero at any
    step. Unlike `post_entry` it replays nothing: a caller that may be retrying looks its keys up first.

    :raises InvalidAmount:
    :raises UnbalancedEntry:
    :raises InsufficientBalance: an entry would take an account below zero; nothing is posted.
    :raises AccountNotFound:
    :raises TransactionConflict: a key is already used (a concurrent request won); run the unit again.
    """
    return _post(session, entries) if entries else []


# One statement for any number of postings: SQLAlchemy sends the rows in as few multi-row INSERTs
# as each database's limit on bound parameters allows.
_INSERT_POSTINGS = insert(Posting.__table__)
_MAY_GO_NEGATIVE_KINDS = sorted(str(kind) for kind in MAY_GO_NEGATIVE)


def _post(
    session: Session, entries: list[NewEntry], *, atomic: bool = True,
    already_locked: Mapping[int, tuple[int, bool]] | None = None,
) -> list[JournalEntry]:
    """Write entries, their postings and the new stored balances, all or nothing (a savepoint unless told not to).

    The order is what keeps concurrent postings safe: the entries first, so that a racing duplicate
    key (or a double reversal) waits and fails before any balance moves; then every touched account
    locked in id order, so that two postings cannot deadlock; then each entry applied in turn to the
    locked balances, refusing any step below zero; last, one conditional UPDATE that writes the
    balances and refuses again, in the database, to take an account below zero.

    A caller that already holds the locks (the counter) has its entry applied, and refused, before
    anything is written; on PostgreSQL one statement then writes it, its postings and the balances.
    """
    deltas = [_net_amounts_by_account(list(entry.legs)) for entry in entries]
    touched = sorted({account_id for entry_deltas in deltas for account_id in entry_deltas})
    rows = [
        {
            "kind": entry.kind,
            "idempotency_key": entry.idempotency_key,
            "request_fingerprint": entry.request_fingerprint(),
            "memo": entry.memo,
            "memo_params": entry.memo_params,
            "reverses_entry_id": entry.reverses_entry_id,
            "actor_user_id": entry.actor_user_id,
            "created_at": utc_now(),
            "refusal": None,
        }
        for entry in entries
    ]
    prelocked = already_locked is not None and set(touched) <= set(already_locked)
    with session.begin_nested() if atomic else nullcontext():
        if prelocked:
            # Every refusal comes before anything is written.
            legs, balances = _apply(deltas, already_locked)
            if len(entries) == 1 and session.get_bind().dialect.name == "postgresql":
                return [_post_in_one_statement(session, rows[0], legs[0], balances)]
            posted = _insert_entries(session, entries, rows)
            locked = already_locked
        else:
            posted = _insert_entries(session, entries, rows)
            locked = lock_accounts(session, touched)
            legs, balances = _apply(deltas, locked)
        session.execute(_INSERT_POSTINGS, [
            {**leg, "entry_id": entry.id} for entry, entry_legs in zip(posted, legs, strict=True) for leg in entry_legs
        ])
        _store_balances(session, {account_id: balances[account_id] - locked[account_id][0] for account_id in touched},
                        balances)
    return posted


def _insert_entries(session: Session, entries: list[NewEntry], rows: list[dict]) -> list[JournalEntry]:
    """Insert the entries' rows; a key another unit holds makes this one wait, then fail.

    :raises TransactionConflict:
    """
    try:
        return insert_persistent(session, JournalEntry, rows)
    except IntegrityError as exc:
        raise TransactionConflict(idempotency_key=entries[0].idempotency_key) from exc


def _apply(
    deltas: list[dict[int, int]], locked: Mapping[int, tuple[int, bool]]
) -> tuple[list[list[dict]], dict[int, int]]:
    """Apply each entry in turn to the locked balances; return each entry's postings and the final balances.

    :raises InsufficientBalance: a step would take an account below zero (unless it may go negative).
    """
    balances = {account_id: balance for account_id, (balance, _) in locked.items()}
    # Stamped while every touched account is locked: a posting that waited for another's lock
    # must not look older than it, or the balance as of a moment is wrong.
    posted_at = utc_now()
    legs = []
    for entry_deltas in deltas:
        entry_legs = []
        for account_id in sorted(entry_deltas):
            delta = entry_deltas[account_id]
            if balances[account_id] + delta < 0 and not locked[account_id][1]:
                raise InsufficientBalance(account_id=account_id, available=balances[account_id], requested=-delta)
            balances[account_id] += delta
            entry_legs.append({"account_id": account_id, "amount": delta, "balance_after": balances[account_id],
                               "created_at": posted_at})
        legs.append(entry_legs)
    return legs, balances


def _post_in_one_statement_sql():
    """Build the PostgreSQL statement that writes one entry, its postings and the balances: one round trip.

    PostgreSQL runs an INSERT or UPDATE inside WITH. The entry's columns come from its table, so a
    new column cannot be left out; the UPDATE keeps the condition that refuses to take an account
    below zero.
    """
    entries = JournalEntry.__table__
    columns = sorted(column.name for column in entries.columns if column.name != "id")
    return text(f"""
WITH entry AS (
    INSERT INTO journal_entries ({", ".join(columns)})
    VALUES ({", ".join(":" + name for name in columns)})
    RETURNING id
), postings AS (
    INSERT INTO postings (entry_id, account_id, amount, balance_after, created_at)
    SELECT entry.id, leg.account_id, leg.amount, leg.balance_after, :posted_at
    FROM entry, unnest(CAST(:account_ids AS bigint[]), CAST(:amounts AS bigint[]),
                       CAST(:balances_after AS bigint[])) AS leg (account_id, amount, balance_after)
)
UPDATE accounts SET balance = accounts.balance + leg.amount
FROM unnest(CAST(:account_ids AS bigint[]), CAST(:amounts AS bigint[])) AS leg (account_id, amount)
WHERE accounts.id = leg.account_id
  AND (accounts.balance + leg.amount >= 0 OR accounts.kind = ANY(CAST(:may_go_negative AS text[])))
RETURNING accounts.id, accounts.balance, (SELECT id FROM entry)
""").bindparams(
        *(bindparam(name, type_=entries.c[name].type) for name in columns),
        bindparam("posted_at", type_=Posting.__table__.c.created_at.type),
    )


# Built once: every sale and hold on PostgreSQL sends it.
_POST_IN_ONE_STATEMENT = _post_in_one_statement_sql()


def _post_in_one_statement(session: Session, row: dict, legs: list[dict], balances: dict[int, int]) -> JournalEntry:
    """Write one applied entry, its postings and the new balances in one PostgreSQL statement.

    :raises TransactionConflict: a concurrent unit posted an entry with this key.
    :raises InsufficientBalance: (only if the checks before were wrong)
    """
    try:
        written = session.execute(_POST_IN_ONE_STATEMENT, {
            **row,
            "posted_at": legs[0]["created_at"],
            "account_ids": [leg["account_id"] for leg in legs],
            "amounts": [leg["amount"] for leg in legs],
            "balances_after": [leg["balance_after"] for leg in legs],
            "may_go_negative": _MAY_GO_NEGATIVE_KINDS,
        }).all()
    except IntegrityError as exc:
        raise TransactionConflict(idempotency_key=row["idempotency_key"]) from exc
    _ensure_balances_written({account_id: balance for account_id, balance, _ in written},
                             {leg["account_id"]: leg["amount"] for leg in legs}, balances)
    return adopt_persistent(session, JournalEntry, written[0][2], row)


def _lock_accounts_statement():
    accounts = Account.__table__
    return (
        select(accounts.c.id, accounts.c.kind, accounts.c.balance)
        .where(accounts.c.id.in_(bindparam("account_ids", expanding=True)))
        .order_by(accounts.c.id)
        .with_for_update()
    )


# Built once, on the table: every posting sends it.
_LOCK_ACCOUNTS = _lock_accounts_statement()


def lock_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, tuple[int, bool]]:
    """Lock accounts in id order and return each one's balance and whether it may go negative.

    A caller that must see a balance before it knows what to post (the counter's discount) locks
    here and hands the result to `post_entry(locked=...)`, which then does not lock them again.

    :raises AccountNotFound:
    """
    account_ids = sorted(set(account_ids))
    locked = {
        account_id: (balance, kind in MAY_GO_NEGATIVE)
        for account_id, kind, balance in session.execute(_LOCK_ACCOUNTS, {"account_ids": account_ids})
    }
    missing = sorted(set(account_ids) - set(locked))
    if missing:
        raise AccountNotFound(account_id=missing[0])
    return locked


def _store_balances(session: Session, changes: dict[int, int], expected: dict[int, int]) -> None:
    """Move the stored balances by their net changes in one statement that refuses to go below zero.

    The accounts are locked and the changes were checked against them, so the condition never
    refuses here; it is the backstop that keeps a bug from ever writing a negative balance.

    :raises InsufficientBalance: (only if the checks above were wrong)
    """
    changed = {account_id: change for account_id, change in changes.items() if change}
    if not changed:
        return
    parameters = {}
    for n, (account_id, change) in enumerate(changed.items()):
        parameters[f"account_{n}"] = account_id
        parameters[f"change_{n}"] = change
    written = dict(session.execute(_balance_update(len(changed)), parameters).all())
    _ensure_balances_written(written, changed, expected)


def _ensure_balances_written(written: dict[int, int], changed: dict[int, int], expected: dict[int, int]) -> None:
    """Refuse the unit if the conditional UPDATE did not write every balance as the checks before expected.

    :raises InsufficientBalance:
    """
    for account_id in changed:
        if written.get(account_id) != expected[account_id]:
            raise InsufficientBalance(account_id=account_id, available=written.get(account_id, 0),
                                      requested=-changed[account_id])


@functools.lru_cache(maxsize=64)
def _balance_update(accounts: int):
    """Build the conditional balance UPDATE for this many accounts, once: a sale sends one for two.

    One statement for any number of accounts, on both databases: a CASE maps each id to its change.
    """
    table = Account.__table__
    change = case(*((table.c.id == bindparam(f"account_{n}"), bindparam(f"change_{n}")) for n in range(accounts)))
    may_go_negative = table.c.kind.in_(_MAY_GO_NEGATIVE_KINDS)
    return (
        update(table)
        .where(table.c.id.in_([bindparam(f"account_{n}") for n in range(accounts)]),
               (table.c.balance + change >= 0) | may_go_negative)
        .values(balance=table.c.balance + change)
        .returning(table.c.id, table.c.balance)
    )


def _net_amounts_by_account(legs: list[Leg]) -> dict[int, int]:
    """Validate the legs and net them per account."""
    if len(legs) < 2:
        raise UnbalancedEntry(legs=len(legs))
    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        # bool is an int subclass; a True point is a bug, not a point.
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool) or leg.amount == 0:
            raise InvalidAmount(amount=leg.amount)
        deltas[leg.account_id] += leg.amount
    if sum(deltas.values()) != 0:
        raise UnbalancedEntry(total=sum(deltas.values()))
    deltas = {account_id: delta for account_id, delta in deltas.items() if delta != 0}
    if len(deltas) < 2:
        raise UnbalancedEntry(legs=len(deltas))
    return deltas


def transfer(
    session: Session,
    *,
    kind: str,
    from_account_id: int,
    to_account_id: int,
    amount: int,
    **options,
) -> JournalEntry:
    """Post a two-leg entry moving a positive amount between two accounts."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount(amount=amount)
    return post_entry(
        session,
        kind=kind,
        legs=[Leg(from_account_id, -amount), Leg(to_account_id, amount)],
        **options,
    )


def reverse_entry(
    session: Session,
    entry_id: int,
    *,
    kind: EntryKind = EntryKind.REVERSAL,
    idempotency_key: str | None = None,
    memo: str = "",
    memo_params: dict | None = None,
    actor_user_id: int | None = None,
) -> JournalEntry:
    """Post the exact opposite of an entry; each entry can be reversed once.

    :raises EntryNotFound:
    :raises EntryAlreadyReversed:
    :raises InsufficientBalance: an account has since spent what the reversal must take back.
    """
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise EntryNotFound(entry_id=entry_id)
    fingerprint = request_fingerprint({"reverse": entry_id, "kind": kind})
    replay = find_replay(session, idempotency_key, fingerprint)
    if replay is not None:
        return replay
    if is_reversed(session, entry_id):
        raise EntryAlreadyReversed(entry_id=entry_id)
    return post_entry(
        session,
        kind=kind,
        legs=[Leg(posting.account_id, -posting.amount) for posting in original.postings],
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        memo=memo,
        memo_params=memo_params or {"entry": entry_id, **({"note": memo} if memo else {})},
        reverses_entry_id=entry_id,
        actor_user_id=actor_user_id,
    )


def is_reversed(session: Session, entry_id: int) -> bool:
    """Tell whether an entry already has its reversal."""
    return session.scalar(
        select(func.count()).select_from(JournalEntry).where(JournalEntry.reverses_entry_id == entry_id)
    ) > 0
