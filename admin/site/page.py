"""GET /site: the kiosk page on a coordinator's tablet at the volunteering site.

Static HTML, CSS and a little JavaScript calling the /site API (and, for a coordinator, the upload
API). Nothing is loaded from elsewhere. A USB or Bluetooth scanner types the QR payload or the
printed card number into the focused field and presses Enter. Korean by default; ?lang=en or
Accept-Language picks English.
"""

from __future__ import annotations

from flask import Blueprint

from mileage.http.pages import page_language, render_page

blueprint = Blueprint(
    "site_page", __name__, template_folder="templates", static_folder="static", static_url_path="/site/static"
)

CATEGORIES = ("복지", "환경", "교육", "보건의료", "문화체육", "재난안전", "행정보조")

MESSAGES = {
    "ko": {
        "title": "현장 출석 체크",
        "switch_language": "English",
        "login_heading": "로그인",
        "as_coordinator": "기관 담당자",
        "as_device": "현장 단말기",
        "username": "아이디",
        "password": "비밀번호",
        "key_id": "단말기 ID",
        "secret": "비밀키",
        "login_button": "로그인",
        "logout": "로그아웃",
        "category_label": "봉사 분야 (출석할 때)",
        "scan_label": "봉사자 QR 코드 또는 카드를 스캔하세요",
        "scan_placeholder": "스캐너로 읽거나 카드번호 입력 후 Enter",
        "scan_hint": "처음 스캔하면 출석, 같은 카드를 다시 스캔하면 퇴실입니다.",
        "visits_heading": "오늘의 출석",
        "visits_empty": "오늘 출석한 봉사자가 아직 없습니다.",
        "state_open": "봉사 중",
        "state_closed": "퇴실·승인 대기",
        "state_flagged": "확인 필요",
        "in": "출석",
        "out": "퇴실",
        "claim": "신청",
        "correct": "시간 고치기",
        "save": "저장",
        "saved": "시간을 고쳤습니다.",
        "upload_heading": "봉사시간 파일 올리기",
        "upload_help": (
            "CSV 또는 엑셀(.xlsx) 파일을 올리면 행마다 결과를 먼저 보여 줍니다. 확인을 누르기 전에는 등록되지 않습니다."
        ),
        "template": "엑셀 양식 내려받기",
        "preview": "미리 보기",
        "confirm": "{n}건 등록하기",
        "preview_summary": "{rows}행: 정상 {ok}, 주의 {warnings}, 오류 {errors}",
        "confirmed_summary": "{created}건 등록, {skipped}건 이미 등록됨, 오류 {errors}건",
        "status_ok": "정상",
        "status_warning": "주의",
        "status_error": "오류",
        "devices_heading": "현장 단말기",
        "devices_help": "기관 담당자가 없어도 출석 체크를 할 태블릿을 등록합니다. 비밀키는 만들 때 한 번만 보입니다.",
        "device_name": "단말기 이름 (예: 1층 입구)",
        "device_create": "단말기 등록",
        "device_secret": "단말기 ID {key_id} · 비밀키 {secret} (지금만 보입니다)",
        "device_revoke": "사용 중지",
        "device_revoked": "사용 중지됨",
        "network_error": "서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
        "session_expired": "로그인이 만료되었습니다. 다시 로그인하세요.",
        "categories": list(CATEGORIES),
    },
    "en": {
        "title": "Site check-in",
        "switch_language": "한국어",
        "login_heading": "Sign in",
        "as_coordinator": "Coordinator",
        "as_device": "Site device",
        "username": "Username",
        "password": "Password",
        "key_id": "Device id",
        "secret": "Secret",
        "login_button": "Sign in",
        "logout": "Sign out",
        "category_label": "Kind of volunteering (at check-in)",
        "scan_label": "Scan the volunteer's QR code or card",
        "scan_placeholder": "Scan, or type the card number and press Enter",
        "scan_hint": "The first scan checks in; scanning the same card again checks out.",
        "visits_heading": "Today's visits",
        "visits_empty": "Nobody has checked in yet today.",
        "state_open": "Volunteering",
        "state_closed": "Checked out, waiting for review",
        "state_flagged": "Needs checking",
        "in": "In",
        "out": "Out",
        "claim": "Claim",
        "correct": "Correct times",
        "save": "Save",
        "saved": "Times corrected.",
        "upload_heading": "Upload a file of hours",
        "upload_help": (
            "Upload a CSV or Excel (.xlsx) file to preview every row; nothing is recorded until you confirm."
        ),
        "template": "Download the Excel template",
        "preview": "Preview",
        "confirm": "Record {n} claims",
        "preview_summary": "{rows} rows: {ok} ok, {warnings} warnings, {errors} errors",
        "confirmed_summary": "{created} recorded, {skipped} already on record, {errors} errors",
        "status_ok": "OK",
        "status_warning": "Warning",
        "status_error": "Error",
        "devices_heading": "Site devices",
        "devices_help": "Register a tablet that checks volunteers in without you; its secret is shown once.",
        "device_name": "Device name (e.g. ground-floor door)",
        "device_create": "Register device",
        "device_secret": "Device id {key_id} · secret {secret} (shown only now)",
        "device_revoke": "Revoke",
        "device_revoked": "revoked",
        "network_error": "Cannot reach the server. Try again shortly.",
        "session_expired": "Your sign-in has expired. Sign in again.",
        "categories": [
            "Welfare", "Environment", "Education", "Health", "Culture & sport", "Safety", "Office support",
        ],
    },
}


@blueprint.get("/site")
def site_page():
    """Render the site kiosk page."""
    language = page_language()
    return render_page("site/kiosk.html", language=language, messages=MESSAGES[language], t=MESSAGES[language])
