"""Why a failed transaction may be run again: the cause each rerun is logged with."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from mileage.db import is_retryable, retry_cause
from mileage.errors import InsufficientBalance, TransactionConflict


@pytest.mark.parametrize(("error", "cause"), [
    (OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected")), "deadlock_detected"),
    (OperationalError("UPDATE", {}, psycopg.errors.SerializationFailure("could not serialize")),
     "serialization_failure"),
    (OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")), "database_locked"),
    (TransactionConflict(), "transaction_conflict"),
    (IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")), None),
    (OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: cards")), None),
    (InsufficientBalance(available=0, requested=1), None),
    (ValueError("not a database error"), None),
])
def test_only_conflicts_a_rerun_can_resolve_have_a_cause(error, cause):
    assert retry_cause(error) == cause
    assert is_retryable(error) is (cause is not None)
