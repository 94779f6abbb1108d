// The cashier's counter page: terminal sign-in, scan, amount, discount preview, PIN pad for printed
// cards, confirm with an Idempotency-Key, receipt, and today's sales with refunds.
//
// Two rules hold whatever the cashier does:
//  * the card charged is the scan the cashier sees: the scan field, the preview and the sale are
//    one state; editing or clearing the field cancels the card, and an answer for another scan is
//    thrown away;
//  * a scanner's keystrokes always land as a scan: a fast burst of characters ending in Enter is
//    taken as a scan wherever the focus is (amount, points, a refund field, a button, nothing), the
//    characters it typed into another field are taken back out, and its Enter presses nothing.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("messages").textContent);
  const LANG = document.documentElement.lang || "ko";
  const LOCALE = LANG === "en" ? "en-US" : "ko-KR";
  const numbers = new Intl.NumberFormat(LOCALE);
  const clock = new Intl.DateTimeFormat(LOCALE, { timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit" });
  const seoulDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul" });
  // The secret used to be kept here; it is removed from every browser that still has it.
  const OLD_CREDENTIALS_KEY = "mileage.counter.credentials";
  // Renew a little before the access token expires rather than waiting for a 401.
  const TOKEN_MARGIN_MS = 15000;
  // A cashier types an amount at a few keys a second: ask for a quote once they pause.
  const QUOTE_DELAY_MS = 700;
  const MAX_PIN_LENGTH = 6;
  // A scanner types far faster than a person: keys closer than this belong to one burst (wide
  // enough for a Bluetooth scanner or a busy tablet that delivers keys unevenly; a person typing
  // twelve keys that fast and then Enter outside the scan field is not entering an amount)...
  const SCAN_KEY_GAP_MS = 250;
  // ...and a burst this long ending in Enter is a scan (a printed card number has 16 digits).
  const SCAN_MIN_LENGTH = 12;
  // A scanner that loses its link for a moment goes on typing the same code after up to this long.
  const SCAN_STALL_MS = 1000;
  const NOTICE_MS = 10000;

  const format = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);
  const won = (n) => format(T.won, { n: numbers.format(n) });
  const points = (n) => format(T.points, { n: numbers.format(n) });

  let token = null;
  let tokenExpiresAt = 0;
  let offer = null;
  let noticeTimer = null;
  const sale = {
    scanned: "", quote: null, pin: "", key: null, quoteSeq: 0, timer: null, busy: false, pendingScan: null,
  };

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function showMessage(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  function showNotice(message) {
    window.clearTimeout(noticeTimer);
    showMessage($("today-notice"), message);
    // A notice is about what just happened; it goes away instead of staying for the whole shift.
    if (message) noticeTimer = window.setTimeout(() => showMessage($("today-notice"), ""), NOTICE_MS);
  }

  function newIdempotencyKey() {
    // getRandomValues works on plain http too (a shop LAN), unlike crypto.randomUUID.
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "counter-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function digitsOf(text) {
    const digits = String(text || "").replace(/[^0-9]/g, "");
    return digits ? Number(digits) : null;
  }

  // --- the terminal session and tokens ------------------------------------------------------
  // The page never holds the terminal secret: signing in starts a session kept in an httpOnly
  // cookie, and the access token lives in memory only.

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || T.network_error);
      this.status = status;
      this.code = body && body.code;
    }
  }

  async function readBody(response) {
    try {
      return await response.json();
    } catch (error) {
      return null;
    }
  }

  async function post(path, json) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept-Language": LANG },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
    } catch (error) {
      throw new ApiError(0, null);
    }
    const body = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  function keepToken(body) {
    token = body.access_token;
    tokenExpiresAt = Date.now() + body.expires_in * 1000;
  }

  async function signIn(keyId, secret, remember) {
    keepToken(await post("/merchant/auth/token", {
      key_id: keyId, secret, session: remember ? "remember" : "browser",
    }));
  }

  // Renew the access token from the session; when the session is gone (signed out, ended by staff,
  // terminal rotated or revoked), go back to the sign-in form instead of failing every call.
  async function renewToken() {
    try {
      keepToken(await post("/merchant/auth/refresh"));
    } catch (error) {
      if (error.status !== 0) {
        token = null;
        showLogin(error.code === "no_terminal_session" ? "" : T.session_expired);
      }
      throw error;
    }
  }

  function isTokenFailure(error) {
    return error.status === 401 && /^token_|^terminal_revoked$/.test(error.code || "");
  }

  async function api(path, options = {}, retried = false) {
    if (!token || Date.now() > tokenExpiresAt - TOKEN_MARGIN_MS) await renewToken();
    const headers = Object.assign({ "Accept-Language": LANG, Authorization: "Bearer " + token }, options.headers || {});
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: options.method || "GET",
        headers,
        body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
      });
    } catch (error) {
      throw new ApiError(0, null);
    }
    const body = await readBody(response);
    const failure = response.ok ? null : new ApiError(response.status, body);
    // Only a refused token is renewed and retried, never a refused PIN (wrong_pin is about the
    // card, whether it comes as 401 or 403), and never a request that carried a PIN: sending it
    // again could spend another of the card's attempts.
    if (failure && isTokenFailure(failure) && !retried) {
      token = null;
      if (options.carriesPin) {
        await renewToken();
        throw failure;
      }
      return api(path, options, true);
    }
    if (failure) throw failure;
    return body;
  }

  // --- screens ------------------------------------------------------------------------------

  function showLogin(message) {
    $("app").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("shop-name").textContent = "";
    showMessage($("login-error"), message);
    $("key-id").focus();
  }

  async function showApp() {
    const me = await api("/merchant/me");
    offer = me.offer;
    $("shop-name").textContent = "· " + me.merchant_name + (me.terminal_label ? " (" + me.terminal_label + ")" : "");
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    resetSale();
    await loadToday();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await signIn($("key-id").value.trim(), $("secret").value, $("remember").checked);
      $("secret").value = "";
      await showApp();
    } catch (error) {
      $("secret").value = "";
      showLogin(error.message);
    }
  });

  $("logout").addEventListener("click", async () => {
    token = null;
    try {
      await post("/merchant/auth/sign-out");
    } catch (error) {
      // Signed out here either way; the server ends the session when it is reachable.
    }
    showLogin("");
  });

  // --- the sale -----------------------------------------------------------------------------

  function resetSale() {
    window.clearTimeout(sale.timer);
    sale.scanned = "";
    sale.quote = null;
    sale.pin = "";
    sale.key = null;
    sale.quoteSeq += 1;
    $("scan").value = "";
    $("amount").value = "";
    $("discount").value = "";
    $("preview").hidden = true;
    $("pin-pad").hidden = true;
    $("receipt").hidden = true;
    $("sale").hidden = false;
    showMessage($("sale-error"), "");
    showMessage($("sale-hint"), "");
    showMessage($("preview-note"), "");
    renderPin();
    updateConfirm();
    $("scan").focus();
  }

  function quoteIsCurrent() {
    return Boolean(sale.quote) && sale.quote.scanned === sale.scanned && $("scan").value.trim() === sale.scanned;
  }

  function updateConfirm() {
    const ready = quoteIsCurrent() && (!sale.quote.needs_pin || sale.pin.length >= 4);
    $("confirm").disabled = !ready || sale.busy;
    $("confirm").textContent = sale.busy ? T.working : T.confirm;
  }

  function renderPin() {
    $("pin-display").textContent = "\u25CF".repeat(sale.pin.length);
    updateConfirm();
  }

  function invalidateQuote() {
    sale.quote = null;
    sale.key = null;
    sale.quoteSeq += 1;
    $("preview").hidden = true;
    showMessage($("preview-note"), "");
    updateConfirm();
  }

  // The cashier changed the scan field by hand: the card scanned before is no longer the sale's.
  function cancelCard() {
    window.clearTimeout(sale.timer);
    sale.scanned = "";
    sale.pin = "";
    invalidateQuote();
    $("pin-pad").hidden = true;
    showMessage($("sale-error"), "");
    renderPin();
  }

  function scheduleQuote() {
    window.clearTimeout(sale.timer);
    invalidateQuote();
    showMessage($("sale-error"), "");
    showMessage($("sale-hint"), "");
    sale.timer = window.setTimeout(() => requestQuote({ typing: true }), QUOTE_DELAY_MS);
  }

  function saleBody() {
    const body = { scanned: sale.scanned, purchase_amount: digitsOf($("amount").value) };
    const discount = digitsOf($("discount").value);
    if (discount) body.discount = discount;
    return body;
  }

  // Why a quote gives less than the cashier asked for: the shop's cap, the offer's rate, or the card.
  function reductionNote(quote, requested) {
    if (!requested || quote.discount >= requested) return "";
    let reason = T.reduced_by_balance;
    if (offer && quote.discount === offer.max_discount) {
      reason = format(T.reduced_by_cap, { cap: points(offer.max_discount) });
    } else if (offer && quote.discount === Math.floor((quote.purchase_amount * offer.rate_bp) / 10000)) {
      reason = format(T.reduced_by_rate, { rate: numbers.format(offer.rate_bp / 100) });
    }
    return format(T.reduced, { requested: points(requested), discount: points(quote.discount), reason });
  }

  async function requestQuote(options = {}) {
    window.clearTimeout(sale.timer);
    const purchase = digitsOf($("amount").value);
    if (!sale.scanned || !purchase) return;
    // While the cashier is still typing, an amount under the minimum is not an error yet.
    if (options.typing && offer && purchase < offer.min_purchase) {
      showMessage($("sale-hint"), format(T.min_purchase_hint, { n: won(offer.min_purchase) }));
      return;
    }
    showMessage($("sale-hint"), "");
    const body = saleBody();
    const seq = ++sale.quoteSeq;
    try {
      // One scan answers both: the tier benefit (no points) and the points discount.
      const quote = await api("/merchant/checkout/preview", { method: "POST", json: body });
      // A newer amount or scan superseded this answer, or the field no longer shows its card.
      if (seq !== sale.quoteSeq || body.scanned !== sale.scanned) return;
      quote.scanned = body.scanned;
      sale.quote = quote;
      $("preview-holder").textContent = quote.holder_name;
      $("preview-card").textContent = (quote.is_dynamic ? T.card_dynamic : T.card_printed) + " " + quote.card_number;
      showTier("preview", quote);
      $("preview-discount").textContent = quote.discount ? "\u2212" + points(quote.discount)
        : (quote.points_refusal_message || points(0));
      $("preview-to-pay").textContent = won(quote.amount_to_pay);
      showMessage($("preview-note"), reductionNote(quote, body.discount));
      $("preview").hidden = false;
      $("pin-pad").hidden = !quote.needs_pin;
      showMessage($("sale-error"), "");
    } catch (error) {
      if (seq !== sale.quoteSeq) return;
      invalidateQuote();
      $("pin-pad").hidden = true;
      showMessage($("sale-error"), error.message);
    }
    updateConfirm();
  }

  function isTextField(node) {
    return Boolean(node) && (node.tagName === "INPUT" || node.tagName === "TEXTAREA");
  }

  // Take a scan as the sale's card, replacing whatever was there (never appended to it).
  function acceptScan(text) {
    const scanned = String(text || "").trim();
    if (!scanned) return;
    if (sale.busy) {
      sale.pendingScan = scanned; // taken when the sale in flight has its answer
      return;
    }
    if (!$("receipt").hidden) resetSale(); // a scan on the receipt starts the next sale
    window.clearTimeout(sale.timer);
    showNotice("");
    closeRefundForms();
    sale.scanned = scanned;
    sale.pin = "";
    invalidateQuote();
    $("pin-pad").hidden = true;
    showMessage($("sale-error"), "");
    $("scan").value = scanned;
    renderPin();
    if (digitsOf($("amount").value)) {
      if (document.activeElement !== $("amount")) $("amount").focus();
      requestQuote();
    } else {
      $("amount").focus();
    }
  }

  // A scanner that stalls mid-code (a weak Bluetooth link, a busy tablet) still types one code: keys
  // that go on landing in the same field, right after the burst's own, belong to that burst.
  function stillTyping(current, target, now) {
    if (target !== current.target) return false;
    // Keys on a button (the receipt's "next sale") land nowhere: only the pause tells.
    if (!isTextField(target)) return now - current.last <= SCAN_STALL_MS;
    return target.value.endsWith(current.text);
  }

  // Every keystroke passes here first (capture), whatever has the focus.
  let burst = null;
  document.addEventListener("keydown", (event) => {
    if ($("app").hidden || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const now = performance.now();
    if (event.key.length === 1) {
      if (!burst || (now - burst.last > SCAN_KEY_GAP_MS && !stillTyping(burst, document.activeElement, now))) {
        const target = document.activeElement;
        const field = isTextField(target);
        // Whether the burst starts on an empty or wholly selected field: then the field holds
        // exactly what was typed, even if the keys came in two bursts.
        const whole = field && target.selectionStart === 0 && target.selectionEnd === target.value.length;
        const replacing = field && (!target.value || whole);
        burst = { text: "", target, before: field ? target.value : null, replacing, last: now };
      }
      burst.text += event.key;
      burst.last = now;
      return;
    }
    if (event.key === "Shift") return; // scanners press Shift for capitals
    const ended = burst;
    burst = null;
    if (event.key !== "Enter" || !ended) return;
    if (now - ended.last > SCAN_KEY_GAP_MS || ended.text.length < SCAN_MIN_LENGTH) return;
    // A scan: its Enter presses nothing, and what it typed into another field comes back out.
    event.preventDefault();
    event.stopPropagation();
    if (ended.target === $("scan")) {
      acceptScan(ended.replacing ? $("scan").value : ended.text);
      return;
    }
    if (ended.before !== null) ended.target.value = ended.before;
    acceptScan(ended.text);
  }, true);

  $("scan").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if ($("scan").value.trim()) acceptScan($("scan").value);
  });

  $("scan").addEventListener("input", () => {
    if ($("scan").value.trim() !== sale.scanned) cancelCard();
  });

  // Typing into the scan field replaces the last card instead of adding to it.
  $("scan").addEventListener("focus", () => $("scan").select());

  ["amount", "discount"].forEach((id) => {
    const field = $(id);
    field.addEventListener("input", scheduleQuote);
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      requestQuote();
    });
    field.addEventListener("blur", () => {
      const value = digitsOf(field.value);
      if (value !== null && String(value).length < 13) field.value = numbers.format(value);
    });
  });

  document.querySelectorAll(".key[data-digit]").forEach((button) => {
    button.addEventListener("click", () => {
      if (sale.pin.length < MAX_PIN_LENGTH) sale.pin += button.dataset.digit;
      renderPin();
    });
  });
  $("pin-clear").addEventListener("click", () => { sale.pin = ""; renderPin(); });
  $("pin-back").addEventListener("click", () => { sale.pin = sale.pin.slice(0, -1); renderPin(); });

  $("confirm").addEventListener("click", async () => {
    if (sale.busy) return;
    if (!sale.scanned || $("scan").value.trim() !== sale.scanned) return showMessage($("sale-error"), T.scan_first);
    if (!digitsOf($("amount").value)) return showMessage($("sale-error"), T.amount_first);
    if (!quoteIsCurrent()) return requestQuote();
    if (sale.quote.needs_pin && sale.pin.length < 4) return showMessage($("sale-error"), T.pin_first);
    const body = saleBody();
    const carriesPin = sale.quote.needs_pin;
    if (carriesPin) body.pin = sale.pin;
    // Kept across a lost connection, so pressing again cannot redeem twice.
    sale.key = sale.key || newIdempotencyKey();
    sale.busy = true;
    updateConfirm();
    try {
      const receipt = await api("/merchant/checkout", {
        method: "POST", json: body, headers: { "Idempotency-Key": sale.key }, carriesPin,
      });
      sale.busy = false;
      showReceipt(receipt);
      loadToday();
    } catch (error) {
      sale.busy = false;
      if (error.status !== 0) sale.key = null; // the server answered: a new attempt is a new request
      // Branch on the code, not the status: a wrong PIN is about the card, never the session.
      if (error.code === "wrong_pin" || error.code === "card_pin_locked") {
        sale.pin = "";
      } else if (isTokenFailure(error)) {
        sale.pin = "";
        error.message = T.retry_sale;
      }
      renderPin();
      if (!$("app").hidden) showMessage($("sale-error"), error.message);
    } finally {
      sale.busy = false;
      updateConfirm();
      const pending = sale.pendingScan;
      sale.pendingScan = null;
      if (pending) acceptScan(pending);
    }
  });

  // The tier name only, and the tier discount when the shop gives one: no points are deducted for it.
  function showTier(where, answer) {
    const benefit = answer.tier_benefit || { amount: 0 };
    $(where + "-tier-row").hidden = !answer.tier;
    $(where + "-tier").textContent = answer.tier || "";
    $(where + "-benefit-row").hidden = !benefit.amount;
    $(where + "-benefit").textContent = benefit.amount
      ? "\u2212" + won(benefit.amount) + " (" + format(T.benefit_rate, { p: benefit.rate_bp / 100 }) + ")" : "";
  }

  function showReceipt(receipt) {
    $("receipt-id").textContent = receipt.redemption_id ? String(receipt.redemption_id)
      : T.benefit_only + " " + String(receipt.benefit_use_id);
    showTier("receipt", receipt);
    $("receipt-holder").textContent = receipt.holder_name + " · " + receipt.card_number;
    $("receipt-purchase").textContent = won(receipt.purchase_amount);
    $("receipt-discount").textContent = receipt.discount ? "\u2212" + points(receipt.discount)
      : (receipt.points_refusal_message || points(0));
    $("receipt-to-pay").textContent = won(receipt.amount_to_pay);
    $("receipt-time").textContent = clock.format(new Date(receipt.created_at));
    $("sale").hidden = true;
    $("receipt").hidden = false;
    $("new-sale").focus();
  }

  $("new-sale").addEventListener("click", resetSale);

  // --- today's sales and refunds ------------------------------------------------------------

  async function loadToday() {
    try {
      const [till, page] = await Promise.all([
        api("/merchant/till"),
        api("/merchant/redemptions?limit=100&day=" + seoulDay.format(new Date())),
      ]);
      $("till").textContent = format(T.till_total, {
        count: numbers.format(till.redemption_count),
        gross: won(till.gross_discount),
        refunds: won(till.refunds),
        net: won(till.net),
      });
      renderToday(page.items);
    } catch (error) {
      if (!$("app").hidden) showNotice(error.message);
    }
  }

  function renderToday(items) {
    const list = $("today-list");
    list.replaceChildren();
    $("today-empty").hidden = items.length > 0;
    items.forEach((item) => {
      const row = element("li");
      row.dataset.redemptionId = String(item.id);
      const line = element("div", "line");
      const text = element("div");
      text.append(element("div", null, item.holder_name + " \u2212" + won(item.discount)));
      const meta = [clock.format(new Date(item.created_at)), "#" + item.id, format(T.purchase_of, { n: won(item.purchase_amount) })];
      if (item.refunded_amount) meta.push(format(T.refunded, { n: won(item.refunded_amount) }));
      text.append(element("div", "meta", meta.join(" · ")));
      line.append(text);
      if (item.refundable > 0) {
        const button = element("button", "refund-button", T.refund);
        button.type = "button";
        button.addEventListener("click", () => toggleRefundForm(row, item));
        line.append(button);
      }
      row.append(line);
      list.append(row);
    });
  }

  function closeRefundForms() {
    $("today-list").querySelectorAll(".refund").forEach((node) => node.remove());
  }

  // A refund is typed in won (a point is a won of discount), starts empty, and is asked once more
  // with the customer, the sale and the amount before anything moves.
  function toggleRefundForm(row, item) {
    const open = row.querySelector(".refund");
    closeRefundForms();
    if (open) return;
    const form = element("form", "refund");
    const label = element("label", "refund-label", format(T.refund_amount, { n: won(item.refundable) }));
    const input = element("input");
    input.inputMode = "numeric";
    input.autocomplete = "off";
    input.id = "refund-amount-" + item.id;
    label.htmlFor = input.id;
    const all = element("button", "secondary", T.refund_all);
    all.type = "button";
    all.addEventListener("click", () => { input.value = numbers.format(item.refundable); input.focus(); });
    const next = element("button", "danger", T.refund);
    next.type = "submit";
    const error = element("p", "error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    const fields = element("div", "refund-fields");
    fields.append(input, all, next);
    form.append(label, fields, error);

    const confirm = element("div", "refund-confirm");
    confirm.hidden = true;
    confirm.setAttribute("role", "alertdialog");
    const question = element("p", "refund-question");
    question.id = "refund-question-" + item.id;
    confirm.setAttribute("aria-labelledby", question.id);
    const yes = element("button", "danger", T.refund_confirm);
    yes.type = "button";
    const no = element("button", "secondary", T.cancel);
    no.type = "button";
    const answers = element("div", "refund-fields");
    answers.append(yes, no);
    confirm.append(question, answers);
    form.append(confirm);

    let key = null;
    let amount = null;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      amount = digitsOf(input.value);
      if (!amount) return showMessage(error, T.refund_amount_first);
      if (amount > item.refundable) return showMessage(error, format(T.refund_too_much, { n: won(item.refundable) }));
      showMessage(error, "");
      question.textContent = format(T.refund_question, { holder: item.holder_name, id: item.id, n: won(amount) });
      fields.hidden = true;
      confirm.hidden = false;
      key = newIdempotencyKey(); // one key per confirmed amount
      yes.focus();
    });
    no.addEventListener("click", () => { confirm.hidden = true; fields.hidden = false; input.focus(); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        const refund = await api("/merchant/redemptions/" + item.id + "/refunds", {
          method: "POST", json: { amount }, headers: { "Idempotency-Key": key },
        });
        showNotice(format(T.refund_done, { n: won(refund.amount), id: item.id }));
        await loadToday();
        $("scan").focus();
      } catch (failure) {
        yes.disabled = false;
        showMessage(error, failure.message);
      }
    });
    row.append(form);
    input.focus();
  }

  // --- start --------------------------------------------------------------------------------

  window.localStorage.removeItem(OLD_CREDENTIALS_KEY);
  window.sessionStorage.removeItem(OLD_CREDENTIALS_KEY);
  renewToken().then(showApp, () => {
    if ($("login").hidden) showLogin(T.network_error);
  }).catch((error) => showLogin(error.message));
})();
