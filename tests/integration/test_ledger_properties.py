"""Property test: random sequences of credits, debits, reversals, replays and reissues.

After every step every ledger invariant holds, no balance is negative, and every balance equals what
a plain dictionary model of the same steps predicts.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.db import make_session_factory
from mileage.errors import EntryAlreadyReversed, IdempotencyKeyReused, InsufficientBalance
from mileage.models import Account, AccountKind, CardStatus
from tests.support.factories import Factories

VOLUNTEERS = 3
SINKS = 2  # a merchant and a donation cause
POINTS = st.integers(min_value=1, max_value=6_000)

LEDGER_SETTINGS = settings(max_examples=50, stateful_step_count=20, deadline=None)


@pytest.fixture
def ledger_machine(engine):
    """The state machine class, bound to the test database; each run rolls back its own transaction."""

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.connection = engine.connect()
            self.transaction = self.connection.begin()
            factory = make_session_factory(self.connection)
            factory.configure(join_transaction_mode="create_savepoint")
            self.session = factory()
            make = Factories(self.session)
            self.issuance = ledger.system_account(self.session, AccountKind.ISSUANCE).id
            self.cards = [make.card() for _ in range(VOLUNTEERS)]
            self.sinks = [
                ledger.open_account(self.session, kind, f"{kind}:property-{index}").id
                for index, kind in enumerate([AccountKind.MERCHANT, AccountKind.CAUSE])
            ]
            # The model: what every account should hold, and each posted entry's legs.
            self.model = {
                account_id: ledger.get_balance(self.session, account_id)
                for account_id in [self.issuance, *self.sinks, *(card.account_id for card in self.cards)]
            }
            self.entries: list[tuple[int, dict[int, int]]] = []
            self.reversed: set[int] = set()
            self.keyed: list[tuple[str, int, int, int]] = []  # key, card account, amount, entry id
            self.keys = itertools.count(1)

        def teardown(self):
            self.session.close()
            self.transaction.rollback()
            self.connection.close()

        # --- steps ----------------------------------------------------------------------

        def _card_account(self, volunteer: int) -> int:
            return self.cards[volunteer].account_id

        def _record(self, entry, legs: dict[int, int]) -> None:
            for account_id, amount in legs.items():
                self.model[account_id] += amount
            self.entries.append((entry.id, legs))

        @rule(volunteer=st.integers(0, VOLUNTEERS - 1), amount=POINTS, keyed=st.booleans())
        def credit(self, volunteer, amount, keyed):
            card_account = self._card_account(volunteer)
            key = f"property-credit-{next(self.keys)}" if keyed else None
            entry = ledger.transfer(
                self.session, kind="claim_approval", from_account_id=self.issuance, to_account_id=card_account,
                amount=amount, idempotency_key=key,
            )
            self._record(entry, {self.issuance: -amount, card_account: amount})
            if keyed:
                self.keyed.append((key, card_account, amount, entry.id))

        @rule(volunteer=st.integers(0, VOLUNTEERS - 1), sink=st.integers(0, SINKS - 1), amount=POINTS,
              at_the_counter=st.booleans())
        def debit(self, volunteer, sink, amount, at_the_counter):
            card_account, sink_account = self._card_account(volunteer), self.sinks[sink]
            # The counter locks both accounts to read the balance, then posts against its locks
            # without a savepoint: every refusal must come before anything is written.
            options = {"locked": ledger.lock_accounts(self.session, (card_account, sink_account)),
                       "atomic": False} if at_the_counter else {}
            if amount > self.model[card_account]:
                event("debit refused: insufficient balance")
                with pytest.raises(InsufficientBalance):
                    ledger.transfer(
                        self.session, kind="redemption", from_account_id=card_account,
                        to_account_id=sink_account, amount=amount, **options,
                    )
                return
            entry = ledger.transfer(
                self.session, kind="redemption", from_account_id=card_account, to_account_id=sink_account,
                amount=amount, **options,
            )
            self._record(entry, {card_account: -amount, sink_account: amount})

        @rule(
            moves=st.lists(
                st.tuples(st.integers(0, VOLUNTEERS - 1), st.integers(0, SINKS), POINTS), min_size=1, max_size=6
            )
        )
        def batch(self, moves):
            """Credits (sink index SINKS) and debits posted together through the batch path."""
            entries, expected = [], dict(self.model)
            refused = False
            for volunteer, sink, amount in moves:
                card_account = self._card_account(volunteer)
                source, target = (self.issuance, card_account) if sink == SINKS else (card_account, self.sinks[sink])
                if source != self.issuance and expected[source] < amount:
                    refused = True
                expected[source] -= amount
                expected[target] += amount
                entries.append(
                    ledger.NewEntry(kind="claim_approval" if sink == SINKS else "redemption",
                                    legs=(ledger.Leg(source, -amount), ledger.Leg(target, amount)))
                )
            if refused:
                event("batch refused: a step would overdraw a card")
                with pytest.raises(InsufficientBalance):
                    ledger.post_entries(self.session, entries)
                return
            event("batch posted")
            for posted, entry in zip(ledger.post_entries(self.session, entries), entries, strict=True):
                self._record(posted, {leg.account_id: leg.amount for leg in entry.legs})

        @precondition(lambda self: self.entries)
        @rule(pick=st.integers(min_value=0))
        def reverse(self, pick):
            entry_id, legs = self.entries[pick % len(self.entries)]
            if entry_id in self.reversed:
                event("reversal refused: already reversed")
                with pytest.raises(EntryAlreadyReversed):
                    ledger.reverse_entry(self.session, entry_id)
                return
            opposite = {account_id: -amount for account_id, amount in legs.items()}
            overdrawn = [
                account_id
                for account_id, amount in opposite.items()
                if account_id != self.issuance and self.model[account_id] + amount < 0
            ]
            if overdrawn:
                event("reversal refused: points already spent")
                with pytest.raises(InsufficientBalance):
                    ledger.reverse_entry(self.session, entry_id)
                return
            event("reversal posted")
            reversal = ledger.reverse_entry(self.session, entry_id)
            self._record(reversal, opposite)
            self.reversed.add(entry_id)

        @precondition(lambda self: self.keyed)
        @rule(pick=st.integers(min_value=0), change=st.sampled_from([0, 0, 1]))
        def replay(self, pick, change):
            key, card_account, amount, entry_id = self.keyed[pick % len(self.keyed)]
            retry = dict(
                kind="claim_approval", from_account_id=self.issuance, to_account_id=card_account,
                amount=amount + change, idempotency_key=key,
            )
            if change:
                event("replay refused: different request")
                with pytest.raises(IdempotencyKeyReused):
                    ledger.transfer(self.session, **retry)
                return
            assert ledger.transfer(self.session, **retry).id == entry_id

        @rule(volunteer=st.integers(0, VOLUNTEERS - 1))
        def reissue(self, volunteer):
            old = self.cards[volunteer]
            balance = self.model[old.account_id]
            entries_before = len(self.entries)
            new = lifecycle.reissue_card(self.session, old.id, actor=SYSTEM_ACTOR).card
            self.model[new.account_id] = 0
            if balance:
                event("reissue moved a balance")
                moved = ledger.account_history(self.session, new.account_id).postings
                assert [posting.amount for posting in moved] == [balance]
                self._record(moved[0].entry, {old.account_id: -balance, new.account_id: balance})
            assert len(self.entries) == entries_before + (1 if balance else 0)
            self.session.refresh(old)
            assert (old.status, new.status) == (CardStatus.REPLACED, CardStatus.ACTIVE)
            self.cards[volunteer] = new

        # --- after every step -----------------------------------------------------------

        @invariant()
        def every_invariant_holds(self):
            report = ledger.check_invariants(self.session)
            assert report.ok, report.as_dict()

        @invariant()
        def balances_match_the_model_and_none_is_negative(self):
            actual = dict(
                self.session.execute(select(Account.id, Account.balance).where(Account.id.in_(self.model))).all()
            )
            assert actual == self.model
            assert all(
                balance >= 0 for account_id, balance in actual.items() if account_id != self.issuance
            )

    return LedgerMachine


def test_random_ledger_histories_keep_every_invariant(ledger_machine):
    run_state_machine_as_test(ledger_machine, settings=LEDGER_SETTINGS)
