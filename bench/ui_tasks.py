"""The main task of each page, timed in headless Chromium: one JSON line per task.

- counter: scan-to-receipt (the scanner types a phone's QR, the cashier types the amount and Enter,
  presses "할인 적용"; until the receipt shows);
- phone: open-to-QR for a volunteer who signed in yesterday (until a scannable QR image shows;
  a page that forgot her sign-in has her type her username and password first);
- console: approve all 200 claims of one event (clicks and seconds, from the filtered queue to the
  last claim approved; a page whose select-all covers only one page of 50 goes round again).

Run from the root of the tree to measure (it goes first on sys.path), e.g. the branch or an export
of main: `python bench/ui_tasks.py` (Chromium at /usr/bin/chromium). Each run builds its own SQLite
database and server on a free port.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.getcwd())

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from mileage.app import create_app  # noqa: E402
from mileage.db import make_engine, make_session_factory, run_in_transaction  # noqa: E402
from mileage.migrations_runner import upgrade_database  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402
from tests.support.factories import Factories  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct-horse-battery"
EVENT_SIZE = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "9"))


def median(values: list[float]) -> float:
    return round(sorted(values)[len(values) // 2], 3)


def report(task: str, **figures) -> None:
    print(json.dumps({"bench": "ui_tasks", "task": task, "tree": os.path.basename(os.getcwd()), **figures}))


def seed(session_factory):
    def work(session):
        make = Factories(session)
        shop = make.merchant(name="벤치 빵집", offer={"rate_bp": 1000, "max_discount": 3000, "min_purchase": 0})
        terminal = make.terminal(shop)
        card = make.card(balance=1_000_000)
        make.user(role="volunteer", username="bench.volunteer", password=PASSWORD, volunteer_id=card.volunteer_id)
        make.user(role="staff", username="bench.staff", password=PASSWORD)
        event = make.organisation(name="벤치 행사")
        for _ in range(EVENT_SIZE):
            make.claim(organisation=event, minutes=60)
        return {"key_id": terminal.terminal.key_id, "secret": terminal.secret, "event": event.id}

    return run_in_transaction(session_factory, work)


def qr_token(request, base: str) -> str:
    signed = request.post(base + "/auth/token", data={"username": "bench.volunteer", "password": PASSWORD}).json()
    return request.get(base + "/me/card/qr", headers={"Authorization": "Bearer " + signed["access_token"]}).json()[
        "token"
    ]


def counter_task(browser, base: str, seeded: dict) -> None:
    context = browser.new_context(locale="ko-KR", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(base + "/counter")
    page.fill("#key-id", seeded["key_id"])
    page.fill("#secret", seeded["secret"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app", state="visible")
    timings, after_scan = [], []
    for _ in range(ROUNDS):
        token = qr_token(page.request, base)
        if page.is_visible("#receipt"):
            page.click("#new-sale")
        page.focus("#scan")
        started = time.perf_counter()
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        scanned = time.perf_counter()
        page.keyboard.type("20000")
        page.keyboard.press("Enter")
        try:
            page.wait_for_selector("#confirm:not([disabled])", timeout=10_000)
        except Exception:
            print("sale-error:", page.inner_text("#sale-error"), page.input_value("#amount"), file=sys.stderr)
            raise
        page.click("#confirm")
        page.wait_for_selector("#receipt", state="visible")
        timings.append(time.perf_counter() - started)
        after_scan.append(time.perf_counter() - scanned)
    context.close()
    # The scanner's ~230 keystrokes (Playwright's typing, about a second on a busy machine) dominate
    # the total; the page's own part is from the scan's Enter to the receipt.
    report("counter_scan_to_receipt", seconds_median=median(timings), seconds_from_scan_enter_median=median(after_scan),
           clicks=1, keys_by_cashier=len("20000") + 1)


def phone_task(browser, base: str) -> None:
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(base + "/m")
    page.fill("#username", "bench.volunteer")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#qr[src^='blob:']")
    page.close()  # she closes the page; tomorrow she opens it again from the home screen
    timings, typed = [], []
    for _ in range(ROUNDS):
        page = context.new_page()
        started = time.perf_counter()
        page.goto(base + "/m")
        page.wait_for_selector("#login:not([hidden]), #qr[src^='blob:']")
        signed_out = page.is_visible("#login")
        if signed_out:
            page.locator("#username").type("bench.volunteer", delay=0)
            page.locator("#password").type(PASSWORD, delay=0)
            page.click("#login-form button[type=submit]")
        page.wait_for_selector("#qr[src^='blob:']")
        page.locator("#qr").evaluate("img => img.decode()")
        timings.append(time.perf_counter() - started)
        typed.append(signed_out)
        page.close()
    context.close()
    report("phone_open_to_qr", seconds_median=median(timings),
           had_to_sign_in=all(typed), taps_and_fields=3 if all(typed) else 0)


def console_task(browser, base: str, seeded: dict) -> None:
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    clicks = 0

    def click(target):
        nonlocal clicks
        clicks += 1
        target.click()

    page.goto(base + "/console/login")
    page.get_by_label("아이디").fill("bench.staff")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(base + "/console/")
    started = time.perf_counter()
    approved = 0
    rounds = 0
    while approved < EVENT_SIZE and rounds < 10:
        rounds += 1
        # A staff member picks the event in the filter each round (the filter is the user's).
        if f"organisation_id={seeded['event']}" not in page.url:
            page.goto(base + "/console/claims/")
            page.get_by_label("기관").select_option(value=str(seeded["event"]))
            clicks += 1
            click(page.get_by_role("button", name="조회"))
            page.wait_for_load_state()
        if page.locator("#approve-matching").count():
            click(page.locator("#approve-matching"))
        else:
            click(page.locator("#select-all"))
            click(page.locator("#approve-selected"))
        if page.locator("#confirm-approve").count():
            click(page.locator("#confirm-approve"))
        page.wait_for_selector("#bulk-summary")
        approved += page.locator("#approved-claims tr[data-claim-id]").count()
        back = page.locator("#back-to-queue")
        if approved < EVENT_SIZE:
            click(back if back.count() else page.get_by_role("link", name="승인 대기 목록으로"))
            page.wait_for_load_state()
    seconds = time.perf_counter() - started
    context.close()
    report("console_approve_200", seconds=round(seconds, 3), clicks=clicks, rounds=rounds, approved=approved)


def main() -> None:
    with scratch_database(None) as url:
        upgrade_database(url)
        engine = make_engine(url)
        app = create_app({"DATABASE_URL": url, "ENGINE": engine, "SECRET_KEY": "bench-secret",
                          "TOKEN_SIGNING_KEY": "bench-token-signing-key-32-bytes!!",
                          "RATELIMIT_ENABLED": False})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            seeded = seed(make_session_factory(engine))
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                counter_task(browser, base, seeded)
                phone_task(browser, base)
                console_task(browser, base, seeded)
                browser.close()
        finally:
            server.shutdown()
            engine.dispose()


if __name__ == "__main__":
    main()
