"""GET /m: the volunteer's mobile page (balance, QR, donations, expiring points, history, claims, statement, PIN).

The page is static HTML, CSS and a little JavaScript that calls the JSON API with the volunteer's
bearer token (kept in sessionStorage). It is Korean by default; ?lang=en or Accept-Language picks
English.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from mileage.http.boundary import SUPPORTED_LANGUAGES, request_language
from mileage.volunteer_api.statement_csv import KIND_LABELS, kind_label

blueprint = Blueprint(
    "volunteer_page",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/m/static",
)

# Everything the page loads comes from this server; QR images arrive as blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

MESSAGES = {
    "ko": {
        "title": "봉사 마일리지",
        "switch_language": "English",
        "login_heading": "로그인",
        "username": "아이디",
        "password": "비밀번호",
        "login_button": "로그인",
        "logout": "로그아웃",
        "not_volunteer": "봉사자 계정으로 로그인하세요.",
        "session_expired": "로그인이 만료되었습니다. 다시 로그인하세요.",
        "network_error": "서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
        "balance_label": "사용 가능한 마일리지",
        "points": "{n}점",
        "card_label": "카드",
        "status_active": "사용 중",
        "status_lost": "분실 신고됨",
        "status_blocked": "사용 정지",
        "status_replaced": "재발급됨",
        "qr_heading": "가맹점 QR",
        "qr_hint": "가맹점 계산대에서 이 QR 코드를 보여 주세요. 한 번만 쓸 수 있고 자동으로 새로 바뀝니다.",
        "qr_alt": "가맹점 결제용 QR 코드",
        "qr_countdown": "{s}초 후 새 코드로 바뀝니다",
        "qr_refresh": "새 코드 받기",
        "history_heading": "이용 내역",
        "claims_heading": "봉사 신청 내역",
        "more": "더 보기",
        "empty": "아직 내역이 없습니다.",
        "balance_after": "잔액 {n}점",
        "minutes": "{h}시간 {m}분",
        "claim_submitted": "검토 중",
        "claim_approved": "승인",
        "claim_rejected": "반려",
        "claim_reversed": "승인 취소",
        "statement_heading": "봉사 명세서",
        "statement_hint": "기간을 비워 두면 전체 내역을 내려받습니다.",
        "from": "시작일",
        "to": "종료일",
        "statement_download": "명세서 내려받기 (CSV)",
        "pin_heading": "카드 PIN",
        "pin_hint": "실물 카드로 결제할 때 입력하는 숫자 4~6자리입니다.",
        "pin_is_set": "PIN이 설정되어 있습니다.",
        "pin_not_set": "PIN이 아직 없습니다.",
        "pin_locked": "PIN이 잠겼습니다. 자원봉사센터에 문의하세요.",
        "current_pin": "현재 PIN",
        "new_pin": "새 PIN",
        "pin_save": "PIN 저장",
        "pin_saved": "PIN을 저장했습니다.",
        "donate_heading": "포인트 기부",
        "donate_hint": "모은 마일리지를 이웃을 돕는 기부처에 기부할 수 있습니다. 기부마다 영수증이 발급됩니다.",
        "donate_button": "기부하기",
        "donate_cause": "기부처",
        "donate_no_causes": "지금 기부할 수 있는 기부처가 없습니다.",
        "cause_raised": "모금 {n}점",
        "cause_target": "목표 {n}점",
        "donate_points": "기부할 포인트",
        "donate_available": "사용 가능한 잔액 {n}점",
        "donate_next": "다음",
        "cancel": "취소",
        "donate_pick_cause": "기부처를 선택하세요.",
        "donate_whole_number": "포인트는 1 이상의 정수로 입력하세요.",
        "donate_over_balance": "잔액보다 많이 기부할 수 없습니다. (잔액 {n}점)",
        "confirm_heading": "기부 내용을 확인하세요",
        "confirm_cause": "기부처",
        "confirm_points": "기부 포인트",
        "confirm_balance_after": "기부 후 잔액",
        "donate_confirm": "기부 확정",
        "donate_retry": "다시 시도",
        "donate_sending": "기부하는 중…",
        "donate_back": "수정",
        "receipt_heading": "기부 영수증",
        "receipt_number": "영수증 번호",
        "receipt_date": "기부 일시",
        "receipt_balance": "남은 잔액",
        "receipt_thanks": "기부해 주셔서 감사합니다.",
        "done": "확인",
        "expiry_heading": "소멸 예정 포인트",
        "expiry_none": "{until}까지 소멸될 포인트가 없습니다.",
        "expiry_total": "{until}까지 {n}이 소멸될 예정입니다.",
        "expiry_rule": (
            "포인트는 적립 후 {years}년이 지나면 먼저 적립된 것부터 소멸됩니다. "
            "그 전에 쓰거나 기부하면 소멸되지 않습니다."
        ),
        "expiry_to_cause": "소멸될 포인트는 {cause}에 기부됩니다.",
        "expiry_donation_label": "소멸될 포인트 기부",
        "expiry_donation_off": "기부하지 않음 (그대로 소멸)",
        "expiry_donation_hint": "기부처를 고르면 소멸될 포인트가 그 기부처로 기부되고 영수증이 발급됩니다.",
        "expiry_donation_closed": (
            "고른 기부처({cause})의 모금이 마감되어 포인트가 그대로 소멸됩니다. 다른 기부처를 고르세요."
        ),
        "closed_suffix": " (마감)",
        "expiry_donation_save": "설정 저장",
        "saved": "저장했습니다.",
    },
    "en": {
        "title": "Volunteer Mileage",
        "switch_language": "한국어",
        "login_heading": "Sign in",
        "username": "Username",
        "password": "Password",
        "login_button": "Sign in",
        "logout": "Sign out",
        "not_volunteer": "Sign in with a volunteer account.",
        "session_expired": "Your sign-in has expired. Sign in again.",
        "network_error": "Cannot reach the server. Try again shortly.",
        "balance_label": "Available mileage",
        "points": "{n} points",
        "card_label": "Card",
        "status_active": "Active",
        "status_lost": "Reported lost",
        "status_blocked": "Blocked",
        "status_replaced": "Replaced",
        "qr_heading": "QR for partner shops",
        "qr_hint": "Show this code at a partner shop's counter. It works once and renews itself.",
        "qr_alt": "QR code for partner shops",
        "qr_countdown": "New code in {s} s",
        "qr_refresh": "Get a new code",
        "history_heading": "History",
        "claims_heading": "My hours claims",
        "more": "Show more",
        "empty": "Nothing here yet.",
        "balance_after": "Balance {n}",
        "minutes": "{h} h {m} min",
        "claim_submitted": "In review",
        "claim_approved": "Approved",
        "claim_rejected": "Rejected",
        "claim_reversed": "Reversed",
        "statement_heading": "Statement",
        "statement_hint": "Leave the dates empty for the whole history.",
        "from": "From",
        "to": "To",
        "statement_download": "Download statement (CSV)",
        "pin_heading": "Card PIN",
        "pin_hint": "4 to 6 digits, asked for when you pay with the printed card.",
        "pin_is_set": "A PIN is set.",
        "pin_not_set": "No PIN yet.",
        "pin_locked": "The PIN is locked. Contact the volunteer centre.",
        "current_pin": "Current PIN",
        "new_pin": "New PIN",
        "pin_save": "Save PIN",
        "pin_saved": "PIN saved.",
        "donate_heading": "Donate points",
        "donate_hint": "Give your mileage to a cause that helps neighbours. Every donation gets a receipt.",
        "donate_button": "Donate",
        "donate_cause": "Cause",
        "donate_no_causes": "No cause is open to donations right now.",
        "cause_raised": "{n} raised",
        "cause_target": "target {n}",
        "donate_points": "Points to donate",
        "donate_available": "Available balance: {n} points",
        "donate_next": "Next",
        "cancel": "Cancel",
        "donate_pick_cause": "Choose a cause.",
        "donate_whole_number": "Enter a whole number of points, 1 or more.",
        "donate_over_balance": "You cannot donate more than your balance ({n} points).",
        "confirm_heading": "Check your donation",
        "confirm_cause": "Cause",
        "confirm_points": "Points",
        "confirm_balance_after": "Balance after",
        "donate_confirm": "Confirm donation",
        "donate_retry": "Try again",
        "donate_sending": "Donating…",
        "donate_back": "Change",
        "receipt_heading": "Donation receipt",
        "receipt_number": "Receipt number",
        "receipt_date": "Donated at",
        "receipt_balance": "Balance now",
        "receipt_thanks": "Thank you for your donation.",
        "done": "Done",
        "expiry_heading": "Points about to expire",
        "expiry_none": "No points expire before {until}.",
        "expiry_total": "{n} will expire by {until}.",
        "expiry_rule": (
            "Points expire {years} years after they were credited, oldest first. "
            "Points you spend or donate before then do not expire."
        ),
        "expiry_to_cause": "Expiring points will be donated to {cause}.",
        "expiry_donation_label": "Donate expiring points",
        "expiry_donation_off": "Do not donate (let them expire)",
        "expiry_donation_hint": "Choose a cause and points about to expire are donated to it instead, with a receipt.",
        "expiry_donation_closed": (
            "The cause you chose ({cause}) is closed, so your points will simply expire. Choose another cause."
        ),
        "closed_suffix": " (closed)",
        "expiry_donation_save": "Save setting",
        "saved": "Saved.",
    },
}


def page_language() -> str:
    """Return the page's language: ?lang= when it names one we have, else Accept-Language (ko default)."""
    asked = request.args.get("lang", "")
    return asked if asked in SUPPORTED_LANGUAGES else request_language()


@blueprint.get("/m")
def volunteer_page():
    """Render the volunteer's mobile page."""
    language = page_language()
    messages = dict(MESSAGES[language])
    messages["kinds"] = {kind: kind_label(kind, language) for kind in KIND_LABELS}
    response = make_response(
        render_template(
            "volunteer_page/mobile.html",
            lang=language,
            other_lang="ko" if language == "en" else "en",
            t=MESSAGES[language],
            messages=messages,
        )
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept-Language"
    return response
