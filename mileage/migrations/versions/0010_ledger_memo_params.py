"""ledger memos as data: each entry's parameters, rendered in the reader's language

Entries used to carry an English sentence ("discount at 상계 행복베이커리"). From now on an entry stores
its parameters (shop, cause, claim, card, hold, dates, a person's note) in `memo_params`, and the
screens render them in Korean or English. This migration fills the parameters of the entries written
before, from their memos and the rows they belong to (the claim a reversal took back, the cause of a
hand-over or an expiry donation). It is the one write to ledger history ever made outside the posting
engine: it adds what the old memo already said, changes no amount, and the append-only triggers are
back in place before it ends.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The English f-strings of the code before 0010, per entry kind (a copy: migrations never import the app).
_EXPIRY = r"^points credited before (?P<cutoff>\d{4}-\d{2}-\d{2}) expire as of (?P<as_of>\d{4}-\d{2}-\d{2})$"
LEGACY_MEMOS = {
    "claim_approval": [r"^claim (?P<claim>\d+)$"],
    "claim_reversal": [r"^reversal of claim (?P<claim>\d+)$"],
    "redemption": [r"^discount at (?P<shop>.*)$"],
    "hold": [r"^hold at (?P<shop>.*)$"],
    "hold_capture": [r"^capture of hold (?P<hold>\d+) at (?P<shop>.*)$"],
    "hold_release": [r"^(?:voided|expired|released) hold (?P<hold>\d+)$"],
    "redemption_refund": [r"^refund of redemption (?P<redemption>\d+) at (?P<shop>.*)$"],
    "donation": [r"^donation to (?P<cause>.*)$"],
    "expiry": [_EXPIRY],
    "expiry_donation": [_EXPIRY],
    "card_reissue": [r"^reissue card (?P<old_card>\d+) -> (?P<new_card>\d+)$"],
    "reversal": [r"^reversal of entry (?P<entry>\d+)$"],
}
INTEGER_PARAMS = ("claim", "hold", "redemption", "entry")
BATCH = 1000

entries = sa.table(
    "journal_entries",
    sa.column("id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("memo", sa.Text),
    sa.column("memo_params", sa.JSON),
    sa.column("reverses_entry_id", sa.BigInteger),
)


def legacy_params(kind: str, memo: str | None) -> dict:
    """Return the parameters an old memo held; words that match no known form are kept as a note."""
    memo = (memo or "").strip()
    for pattern in LEGACY_MEMOS.get(kind, ()):
        found = re.match(pattern, memo, re.S)
        if found:
            return {name: int(value) if name in INTEGER_PARAMS else value for name, value in found.groupdict().items()}
    return {"note": memo} if memo else {}


def _related(bind) -> dict[int, dict]:
    """Return, by entry id, what the rows an entry belongs to add (claim ids, cause names)."""
    extra: dict[int, dict] = {}
    for entry_id, claim_id in bind.execute(sa.text(
        "SELECT approval_entry_id, id FROM claims WHERE approval_entry_id IS NOT NULL "
        "UNION ALL SELECT reversal_entry_id, id FROM claims WHERE reversal_entry_id IS NOT NULL"
    )):
        extra.setdefault(entry_id, {})["claim"] = claim_id
    for entry_id, cause in bind.execute(sa.text(
        "SELECT d.entry_id, c.name FROM disbursements d JOIN causes c ON c.id = d.cause_id "
        "UNION ALL SELECT n.entry_id, c.name FROM donations n JOIN causes c ON c.id = n.cause_id "
        "WHERE n.entry_id IS NOT NULL"
    )):
        extra.setdefault(entry_id, {})["cause"] = cause
    return extra


def _allow_updates(bind, allowed: bool) -> None:
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE journal_entries {'DISABLE' if allowed else 'ENABLE'} TRIGGER journal_entries_append_only")
    elif allowed:
        op.execute("DROP TRIGGER journal_entries_append_only_update")
    else:
        op.execute(
            "CREATE TRIGGER journal_entries_append_only_update BEFORE UPDATE ON journal_entries "
            "BEGIN SELECT RAISE(ABORT, 'ledger history is append-only'); END"
        )


def upgrade() -> None:
    # A plain ADD COLUMN: on SQLite a batch rebuild would drop the append-only triggers.
    op.add_column("journal_entries", sa.Column("memo_params", sa.JSON(), nullable=True))
    bind = op.get_bind()
    extra = _related(bind)
    rows = bind.execute(
        sa.select(entries.c.id, entries.c.kind, entries.c.memo, entries.c.reverses_entry_id)
        .where(entries.c.kind != "refusal").order_by(entries.c.id)
    ).all()
    if not rows:
        return
    _allow_updates(bind, True)
    try:
        updates = []
        for entry_id, kind, memo, reverses_entry_id in rows:
            params = legacy_params(kind, memo)
            params.update({key: value for key, value in extra.get(entry_id, {}).items() if key not in params})
            if kind == "reversal" and reverses_entry_id is not None:
                params.setdefault("entry", reverses_entry_id)
            updates.append({"entry_id": entry_id, "params": params})
        statement = (
            entries.update().where(entries.c.id == sa.bindparam("entry_id")).values(memo_params=sa.bindparam("params"))
        )
        for start in range(0, len(updates), BATCH):
            bind.execute(statement, updates[start:start + BATCH])
    finally:
        _allow_updates(bind, False)


def downgrade() -> None:
    # The old memos were never changed: dropping the parameters gives back exactly what was there.
    op.drop_column("journal_entries", "memo_params")
