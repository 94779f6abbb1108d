"""The history, the statement file and the staff's card history say what each entry is in the reader's language."""

from __future__ import annotations

import csv
import io

from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.donations import donate


def test_a_donation_and_a_reissue_read_in_korean_and_english(client, session, make, login, login_as):
    card = make.card(balance=5_000)
    cause = make.cause(name="노원 푸드뱅크")
    donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=1_200)
    new_card = lifecycle.reissue_card(session, card.id, actor=SYSTEM_ACTOR).card
    volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id)
    headers = login(volunteer)

    korean = client.get("/me/history", headers=headers).json["items"]
    english = client.get("/me/history", headers={**headers, "Accept-Language": "en"}).json["items"]
    memos = {item["kind"]: item["memo"] for item in korean}
    assert memos["donation"] == "노원 푸드뱅크에 기부"
    assert memos["card_reissue"] == f"카드 ****{card.number[-4:]} → 새 카드 ****{new_card.number[-4:]} 재발급"
    assert {item["kind"]: item["memo"] for item in english}["donation"] == "Donation to 노원 푸드뱅크"

    def statement(query: str = "") -> list[list[str]]:
        body = client.get("/me/statement.csv" + query, headers=headers).get_data().decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))

    rows = statement("?lang=en")
    assert rows[0][-1] == "memo" and [rows[-1][1], rows[-1][-1]] == ["donation", "Donation to 노원 푸드뱅크"]
    rows = statement()
    assert rows[0][-1] == "내용" and [rows[-1][1], rows[-1][-1]] == ["기부", "노원 푸드뱅크에 기부"]

    _, staff = login_as("staff")
    postings = client.get(f"/admin/cards/{card.id}/history", headers=staff).json["items"]
    assert "노원 푸드뱅크에 기부" in [posting["memo"] for posting in postings]
    english_postings = client.get(f"/admin/cards/{card.id}/history", headers={**staff, "Accept-Language": "en"}).json
    assert "Donation to 노원 푸드뱅크" in [posting["memo"] for posting in english_postings["items"]]
