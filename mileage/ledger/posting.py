"""Posting journal entries: balanced legs, idempotency keys and their refusals, transfers, reversals.

Every movement of points goes through `post_entry`, or `post_entries` for a batch; both run the one
engine `_post`. It is all-or-nothing (a savepoint), locks the accounts it touches in id order so that
concurrent postings cannot deadlock, and writes the balances with a conditional UPDATE, so that no
balance can go negative, even for an instant another transaction sees.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from mileage.clock import utc_now
from mileage.db import insert_unless_taken, keep_through_rollback
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


# Postings go in one multi-row INSERT up to this many rows (a sale writes two); bigger batches are
# sent as an executemany, below every database's limit on bound parameters.
MULTI_ROW_POSTINGS = 200


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
        }
        for entry in entries
    ]
    with session.begin_nested() if atomic else nullcontext():
        try:
            # The entries' postings are written below: loading them now would only find none.
            posted = list(session.scalars(
                insert(JournalEntry)
                .returning(JournalEntry, sort_by_parameter_order=True)
                .options(lazyload(JournalEntry.postings)),
                rows,
            ))
        except IntegrityError as exc:
            raise TransactionConflict(idempotency_key=entries[0].idempotency_key) from exc
        locked = (
            already_locked if already_locked is not None and set(touched) <= set(already_locked)
            else lock_accounts(session, touched)
        )
        balances = {account_id: balance for account_id, (balance, _) in locked.items()}
        # Stamped while every touched account is locked: a posting that waited for another's lock
        # must not look older than it, or the balance as of a moment is wrong.
        posted_at = utc_now()
        postings = []
        for entry, entry_deltas in zip(posted, deltas, strict=True):
            for account_id in sorted(entry_deltas):
                delta = entry_deltas[account_id]
                may_go_negative = locked[account_id][1]
                if balances[account_id] + delta < 0 and not may_go_negative:
                    raise InsufficientBalance(account_id=account_id, available=balances[account_id], requested=-delta)
                balances[account_id] += delta
                postings.append(
                    {"entry_id": entry.id, "account_id": account_id, "amount": delta,
                     "balance_after": balances[account_id], "created_at": posted_at}
                )
        if len(postings) <= MULTI_ROW_POSTINGS:
            session.execute(insert(Posting).values(postings))
        else:
            session.execute(insert(Posting), postings)
        _store_balances(session, {account_id: balances[account_id] - locked[account_id][0] for account_id in touched},
                        balances)
    for entry in posted:
        session.expire(entry, ["postings"])
    return posted


def lock_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, tuple[int, bool]]:
    """Lock accounts in id order and return each one's balance and whether it may go negative.

    A caller that must see a balance before it knows what to post (the counter's discount) locks
    here and hands the result to `post_entry(locked=...)`, which then does not lock them again.

    :raises AccountNotFound:
    """
    account_ids = sorted(set(account_ids))
    locked = {
        account.id: (account.balance, account.kind in MAY_GO_NEGATIVE)
        for account in session.execute(
            select(Account.id, Account.kind, Account.balance)
            .where(Account.id.in_(account_ids))
            .order_by(Account.id)
            .with_for_update()
        )
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
    # One statement for any number of accounts, on both databases: a CASE maps each id to its change.
    delta = case(changed, value=Account.id)
    may_go_negative = Account.kind.in_([str(kind) for kind in MAY_GO_NEGATIVE])
    written = dict(
        session.execute(
            update(Account)
            .where(Account.id.in_(list(changed)), (Account.balance + delta >= 0) | may_go_negative)
            .values(balance=Account.balance + delta)
            .returning(Account.id, Account.balance)
            .execution_options(synchronize_session=False)
        ).all()
    )
    for account_id in changed:
        if written.get(account_id) != expected[account_id]:
            raise InsufficientBalance(account_id=account_id, available=written.get(account_id, 0),
                                      requested=-changed[account_id])


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
