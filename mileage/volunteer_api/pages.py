"""GET /m: the volunteer's mobile page (balance, self-refreshing QR, history, claims, statement, PIN).

The page is static HTML, CSS and a little JavaScript that calls the JSON API with the volunteer's
bearer token (kept in sessionStorage). It is Korean by default; ?lang=en or Accept-Language picks
English.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from mileage.volunteer_api.statement_csv import KIND_LABELS, kind_label
from mileage.web import SUPPORTED_LANGUAGES, request_language

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
