"""Ledger accounts: opening them, the system accounts, and reading balances (now or at a past instant)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.errors import (
    AccountNotFound,
)
from mileage.models.ledger import Account, AccountKind, Posting

SYSTEM_ACCOUNTS = (
    AccountKind.ISSUANCE,
    AccountKind.DISBURSED,
    AccountKind.EXPIRED,
    AccountKind.HOLDS,
)


def open_account(session: Session, kind: AccountKind, code: str) -> Account:
    """Create an account with a zero balance."""
    account = Account(kind=kind, code=code, balance=0)
    session.add(account)
    session.flush()
    return account


def system_account(session: Session, kind: AccountKind) -> Account:
    """Return the single system account of a kind (issuance, expired, ...); migrations create them.

    :raises AccountNotFound:
    """
    account = session.scalar(select(Account).where(Account.code == str(kind)))
    if account is None:
        raise AccountNotFound(code=str(kind))
    return account


def get_balance(session: Session, account_id: int) -> int:
    """Return an account's balance: one primary-key read, however long its history.

    :raises AccountNotFound:
    """
    balance = session.scalar(select(Account.balance).where(Account.id == account_id))
    if balance is None:
        raise AccountNotFound(account_id=account_id)
    return balance


def get_balance_as_of(session: Session, account_id: int, moment: datetime) -> int:
    """Return an account's balance at a past instant, from the last posting made by then."""
    balance_after = session.scalar(
        select(Posting.balance_after)
        .where(Posting.account_id == account_id, Posting.created_at <= moment)
        .order_by(Posting.created_at.desc(), Posting.id.desc())
        .limit(1)
    )
    return balance_after or 0
