"""GET /counter: the cashier's page (terminal sign-in, scan, amount, preview, PIN pad, receipt, refunds).

Static HTML, CSS and a little JavaScript calling the shop API; nothing is loaded from elsewhere, so
it works offline on a cheap tablet. USB and Bluetooth QR scanners type the payload into the focused
field and press Enter. Korean by default; ?lang=en or Accept-Language picks English.
"""

from __future__ import annotations

from flask import Blueprint

from mileage.http.pages import page_language, render_page

blueprint = Blueprint(
    "counter_page",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/counter/static",
)


MESSAGES = {
    "ko": {
        "title": "마일리지 계산대",
        "switch_language": "English",
        "login_heading": "단말기 로그인",
        "key_id": "단말기 ID",
        "secret": "비밀키",
        "remember": "이 기기에서 기억하기",
        "login_button": "로그인",
        "logout": "로그아웃",
        "scan_label": "QR 코드 또는 카드 번호를 스캔하세요",
        "scan_placeholder": "스캐너로 읽거나 입력 후 Enter",
        "amount_label": "구매 금액 (원)",
        "discount_label": "사용할 포인트 (선택)",
        "discount_placeholder": "비우면 가능한 최대",
        "preview_heading": "할인 미리보기",
        "holder": "고객",
        "card": "카드",
        "card_dynamic": "모바일 QR",
        "card_printed": "실물 카드",
        "discount": "할인",
        "tier": "카드 등급",
        "tier_benefit": "등급 할인 (포인트 차감 없음)",
        "benefit_rate": "{p}%",
        "benefit_only": "등급 할인",
        "to_pay": "결제할 금액",
        "pin_heading": "카드 비밀번호(PIN)를 입력하세요",
        "pin_clear": "지우기",
        "pin_back": "←",
        "confirm": "할인 적용",
        "working": "처리 중…",
        "new_sale": "새 거래",
        "receipt_heading": "할인 완료",
        "receipt_no": "거래 번호",
        "receipt_time": "시각",
        "purchase": "구매 금액",
        "today_heading": "오늘의 거래",
        "till_total": "오늘 합계: {count}건 · 할인 {gross} · 환불 {refunds} · 순액 {net}",
        "empty": "오늘 거래가 아직 없습니다.",
        "refund": "환불",
        "refund_amount": "환불할 포인트",
        "refund_confirm": "환불 확인",
        "refund_done": "{n} 환불했습니다.",
        "refunded": "환불 {n}",
        "won": "{n}원",
        "points": "{n}점",
        "network_error": "서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
        "session_expired": "로그인이 만료되었습니다. 다시 로그인하세요.",
        "scan_first": "먼저 카드를 스캔하세요.",
        "amount_first": "구매 금액을 입력하세요.",
        "pin_first": "PIN을 입력하세요.",
    },
    "en": {
        "title": "Mileage counter",
        "switch_language": "한국어",
        "login_heading": "Terminal sign-in",
        "key_id": "Terminal ID",
        "secret": "Secret",
        "remember": "Remember on this device",
        "login_button": "Sign in",
        "logout": "Sign out",
        "scan_label": "Scan the QR code or the card number",
        "scan_placeholder": "Scan, or type and press Enter",
        "amount_label": "Purchase (won)",
        "discount_label": "Points to use (optional)",
        "discount_placeholder": "Empty: the most allowed",
        "preview_heading": "Discount preview",
        "holder": "Customer",
        "card": "Card",
        "card_dynamic": "Mobile QR",
        "card_printed": "Printed card",
        "discount": "Discount",
        "tier": "Card tier",
        "tier_benefit": "Tier discount (no points)",
        "benefit_rate": "{p}%",
        "benefit_only": "Tier discount",
        "to_pay": "To pay",
        "pin_heading": "Enter the card PIN",
        "pin_clear": "Clear",
        "pin_back": "←",
        "confirm": "Apply discount",
        "working": "Working…",
        "new_sale": "New sale",
        "receipt_heading": "Discount applied",
        "receipt_no": "Sale no.",
        "receipt_time": "Time",
        "purchase": "Purchase",
        "today_heading": "Today's sales",
        "till_total": "Today: {count} sales · discount {gross} · refunds {refunds} · net {net}",
        "empty": "No sales yet today.",
        "refund": "Refund",
        "refund_amount": "Points to refund",
        "refund_confirm": "Confirm refund",
        "refund_done": "Refunded {n}.",
        "refunded": "refunded {n}",
        "won": "{n} won",
        "points": "{n} points",
        "network_error": "Cannot reach the server. Try again shortly.",
        "session_expired": "Your sign-in has expired. Sign in again.",
        "scan_first": "Scan a card first.",
        "amount_first": "Enter the purchase amount.",
        "pin_first": "Enter the PIN.",
    },
}


@blueprint.get("/counter")
def counter_page():
    """Render the cashier's counter page."""
    language = page_language()
    return render_page("counter/counter.html", language=language, messages=MESSAGES[language], t=MESSAGES[language])
