// The cashier's counter page: terminal sign-in, scan, amount, discount preview, PIN pad for printed
// cards, confirm with an Idempotency-Key, receipt, and today's sales with refunds.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("messages").textContent);
  const LANG = document.documentElement.lang || "ko";
  const LOCALE = LANG === "en" ? "en-US" : "ko-KR";
  const numbers = new Intl.NumberFormat(LOCALE);
  const clock = new Intl.DateTimeFormat(LOCALE, { timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit" });
  const seoulDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul" });
  const CREDENTIALS_KEY = "mileage.counter.credentials";
  // Sign in again a little before the access token expires rather than waiting for a 401.
  const TOKEN_MARGIN_MS = 15000;
  const QUOTE_DELAY_MS = 300;
  const MAX_PIN_LENGTH = 6;
  // A printed card number is 16 digits: longer "amounts" are scans that landed in the wrong field.
  const CARD_NUMBER_LENGTH = 16;

  const format = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);
  const won = (n) => format(T.won, { n: numbers.format(n) });
  const points = (n) => format(T.points, { n: numbers.format(n) });

  let credentials = null;
  let token = null;
  let tokenExpiresAt = 0;
  const sale = { scanned: "", quote: null, pin: "", key: null, quoteSeq: 0, timer: null, busy: false };

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

  // --- credentials and tokens ---------------------------------------------------------------

  function loadCredentials() {
    const stored = window.sessionStorage.getItem(CREDENTIALS_KEY) || window.localStorage.getItem(CREDENTIALS_KEY);
    try {
      return stored ? JSON.parse(stored) : null;
    } catch (error) {
      return null;
    }
  }

  function saveCredentials(value, remember) {
    const text = JSON.stringify(value);
    window.sessionStorage.setItem(CREDENTIALS_KEY, text);
    if (remember) window.localStorage.setItem(CREDENTIALS_KEY, text);
  }

  function forgetCredentials() {
    window.sessionStorage.removeItem(CREDENTIALS_KEY);
    window.localStorage.removeItem(CREDENTIALS_KEY);
    credentials = null;
    token = null;
  }

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

  async function signIn(value) {
    let response;
    try {
      response = await fetch("/merchant/auth/token", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept-Language": LANG },
        body: JSON.stringify(value),
      });
    } catch (error) {
      throw new ApiError(0, null);
    }
    const body = await readBody(response);
    if (!response.ok) throw new ApiError(response.status, body);
    token = body.access_token;
    tokenExpiresAt = Date.now() + body.expires_in * 1000;
    credentials = value;
  }

  // Sign in again with the kept credentials; when they no longer work (rotated, revoked,
  // suspended), go back to the sign-in form instead of failing every call.
  async function renewToken() {
    try {
      await signIn(credentials);
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        forgetCredentials();
        showLogin(error.message);
      }
      throw error;
    }
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
    if (response.status === 401 && !retried && body && /^token_/.test(body.code || "")) {
      token = null;
      return api(path, options, true);
    }
    if (!response.ok) throw new ApiError(response.status, body);
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
    $("shop-name").textContent = "· " + me.merchant_name + (me.terminal_label ? " (" + me.terminal_label + ")" : "");
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    resetSale();
    await loadToday();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = { key_id: $("key-id").value.trim(), secret: $("secret").value };
    try {
      await signIn(value);
      saveCredentials(value, $("remember").checked);
      $("secret").value = "";
      await showApp();
    } catch (error) {
      showLogin(error.message);
    }
  });

  $("logout").addEventListener("click", () => {
    forgetCredentials();
    showLogin("");
  });

  // --- the sale -----------------------------------------------------------------------------

  function resetSale() {
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
    renderPin();
    updateConfirm();
    $("scan").focus();
  }

  function updateConfirm() {
    const ready = sale.quote && (!sale.quote.needs_pin || sale.pin.length >= 4);
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
    $("preview").hidden = true;
    updateConfirm();
  }

  function scheduleQuote() {
    window.clearTimeout(sale.timer);
    invalidateQuote();
    sale.timer = window.setTimeout(requestQuote, QUOTE_DELAY_MS);
  }

  function saleBody() {
    const body = { scanned: sale.scanned, purchase_amount: digitsOf($("amount").value) };
    const discount = digitsOf($("discount").value);
    if (discount) body.discount = discount;
    return body;
  }

  async function requestQuote() {
    window.clearTimeout(sale.timer);
    if (!sale.scanned || !digitsOf($("amount").value)) return;
    const seq = ++sale.quoteSeq;
    try {
      // One scan answers both: the tier benefit (no points) and the points discount.
      const quote = await api("/merchant/checkout/preview", { method: "POST", json: saleBody() });
      if (seq !== sale.quoteSeq) return; // a newer amount or scan superseded this answer
      sale.quote = quote;
      $("preview-holder").textContent = quote.holder_name;
      $("preview-card").textContent = (quote.is_dynamic ? T.card_dynamic : T.card_printed) + " " + quote.card_number;
      showTier("preview", quote);
      $("preview-discount").textContent = quote.discount ? "\u2212" + points(quote.discount)
        : (quote.points_refusal_message || points(0));
      $("preview-to-pay").textContent = won(quote.amount_to_pay);
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

  function takeScan(text) {
    sale.scanned = text.trim();
    sale.pin = "";
    renderPin();
    $("scan").value = sale.scanned;
    if (digitsOf($("amount").value)) {
      requestQuote();
    } else {
      invalidateQuote();
      $("amount").focus();
    }
  }

  $("scan").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if ($("scan").value.trim()) takeScan($("scan").value);
  });

  $("scan").addEventListener("input", () => {
    if ($("scan").value.trim() !== sale.scanned) invalidateQuote();
  });

  ["amount", "discount"].forEach((id) => {
    const field = $(id);
    field.addEventListener("input", scheduleQuote);
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const typed = field.value.trim();
      if (id === "amount" && typed.replace(/[\s-]/g, "").length >= CARD_NUMBER_LENGTH) {
        // The scanner typed into the amount field: treat it as the scan it is.
        field.value = "";
        takeScan(typed);
        return;
      }
      requestQuote();
    });
    field.addEventListener("blur", () => {
      const value = digitsOf(field.value);
      if (value !== null && String(value).length < CARD_NUMBER_LENGTH) field.value = numbers.format(value);
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
    if (!sale.scanned) return showMessage($("sale-error"), T.scan_first);
    if (!digitsOf($("amount").value)) return showMessage($("sale-error"), T.amount_first);
    if (sale.quote && sale.quote.needs_pin && sale.pin.length < 4) return showMessage($("sale-error"), T.pin_first);
    const body = saleBody();
    if (sale.quote && sale.quote.needs_pin) body.pin = sale.pin;
    // Kept across a lost connection, so pressing again cannot redeem twice.
    sale.key = sale.key || newIdempotencyKey();
    sale.busy = true;
    updateConfirm();
    try {
      const receipt = await api("/merchant/checkout", {
        method: "POST", json: body, headers: { "Idempotency-Key": sale.key },
      });
      showReceipt(receipt);
      loadToday();
    } catch (error) {
      if (error.status !== 0) sale.key = null; // the server answered: a new attempt is a new request
      if (error.code === "wrong_pin") sale.pin = "";
      renderPin();
      showMessage($("sale-error"), error.message);
    } finally {
      sale.busy = false;
      updateConfirm();
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
    $("receipt-discount").textContent = "\u2212" + points(receipt.discount);
    $("receipt-to-pay").textContent = won(receipt.amount_to_pay);
    $("receipt-time").textContent = clock.format(new Date(receipt.created_at));
    $("sale").hidden = true;
    $("receipt").hidden = false;
    $("new-sale").focus();
  }

  $("new-sale").addEventListener("click", resetSale);

  // --- today's sales ------------------------------------------------------------------------

  async function loadToday() {
    try {
      const [till, page] = await Promise.all([
        api("/merchant/till"),
        api("/merchant/redemptions?limit=100&day=" + seoulDay.format(new Date())),
      ]);
      $("till").textContent = format(T.till_total, {
        count: numbers.format(till.redemption_count),
        gross: points(till.gross_discount),
        refunds: points(till.refunds),
        net: points(till.net),
      });
      renderToday(page.items);
    } catch (error) {
      showMessage($("today-notice"), error.message);
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
      text.append(element("div", null, item.holder_name + " \u2212" + points(item.discount)));
      const meta = [clock.format(new Date(item.created_at)), "#" + item.id, won(item.purchase_amount)];
      if (item.refunded_amount) meta.push(format(T.refunded, { n: points(item.refunded_amount) }));
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

  function toggleRefundForm(row, item) {
    const open = row.querySelector("form");
    if (open) return open.remove();
    const form = element("form");
    const input = element("input");
    input.inputMode = "numeric";
    input.value = String(item.refundable);
    input.setAttribute("aria-label", T.refund_amount);
    const submit = element("button", null, T.refund_confirm);
    submit.type = "submit";
    form.append(input, submit);
    const key = newIdempotencyKey();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        const refund = await api("/merchant/redemptions/" + item.id + "/refunds", {
          method: "POST", json: { amount: digitsOf(input.value) }, headers: { "Idempotency-Key": key },
        });
        showMessage($("today-notice"), format(T.refund_done, { n: points(refund.amount) }));
        await loadToday();
      } catch (error) {
        submit.disabled = false;
        showMessage($("today-notice"), error.message);
      }
    });
    row.append(form);
    input.focus();
  }

  // --- start --------------------------------------------------------------------------------

  credentials = loadCredentials();
  if (credentials) {
    showApp().catch((error) => showLogin(error.message));
  } else {
    showLogin("");
  }
})();
