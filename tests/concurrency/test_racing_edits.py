"""Two staff save edits of one record at the same moment, both from the version they read: one wins.

Real commits on separate connections (PostgreSQL): the PATCH with If-Match locks the row before it
compares, so the second edit waits, sees the first one's version, and is refused with 412; the record
holds the winner's edit, never a blend and never the loser's.
"""

from __future__ import annotations

import threading

import pytest

from mileage.app import create_app
from mileage.models import Role, Volunteer
from mileage.people.tokens import Principal, issue_access_token
from tests.support.factories import Factories

pytestmark = pytest.mark.postgres_only
RACERS = 6


@pytest.fixture
def live_app(concurrent_engine):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "race-secret-key",
            "TOKEN_SIGNING_KEY": "race-token-signing-key-of-32-bytes!!",
            "DATABASE_URL": str(concurrent_engine.url),
            "ENGINE": concurrent_engine,
            "RATELIMIT_ENABLED": False,
        }
    )


def test_racing_edits_with_the_same_if_match_let_exactly_one_through(commit, live_app):
    def seed(session):
        make = Factories(session)
        staff = make.user(role=Role.STAFF)
        return make.volunteer().id, Principal.of_user(staff)

    volunteer_id, staff = commit(seed)
    token = issue_access_token(live_app.extensions["mileage.token_signer"], staff)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/admin/volunteers/{volunteer_id}"
    seen = live_app.test_client().get(url, headers=headers).headers["ETag"]

    start = threading.Barrier(RACERS)
    answers: list = [None] * RACERS

    def edit(index: int) -> None:
        client = live_app.test_client()
        start.wait(timeout=30)
        answers[index] = client.patch(
            url, json={"phone": f"010-5555-{index:04d}"}, headers={**headers, "If-Match": seen}
        )

    threads = [threading.Thread(target=edit, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [412] * (RACERS - 1)
    (winner,) = [index for index, answer in enumerate(answers) if answer.status_code == 200]
    stored = commit(lambda session: session.get(Volunteer, volunteer_id).phone)
    assert stored.replace("-", "").endswith(f"{winner:04d}")
    assert all(answer.json["code"] == "precondition_failed" for answer in answers if answer.status_code == 412)
