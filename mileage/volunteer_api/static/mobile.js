// The volunteer's mobile page: signs in once on her own phone, then shows the card and a self-refreshing
// QR (which notices within seconds that a shop used it), history and the statement by month, claims,
// donating, expiring points and the PIN form, in five sections a thumb can reach, all from the JSON API.
//
// The refresh token never reaches this script: it lives in an httpOnly cookie that only /auth/session
// reads, rotated on every use. The access token is kept in memory only.
(function () {
  "use strict";

  const T = JSON.parse(document.getElementById("messages").textContent);
  const LANG = document.documentElement.lang || "ko";
  const LOCALE = LANG === "en" ? "en-US" : "ko-KR";
  const numbers = new Intl.NumberFormat(LOCALE);
  const dateTime = new Intl.DateTimeFormat(LOCALE, {
    timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  // API dates ("2026-05-31") are already Seoul days: format them as they are.
  const dayFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: "UTC", year: "numeric", month: "long", day: "numeric" });
  const day = (iso) => dayFormat.format(new Date(iso + "T00:00:00Z"));
  // Tokens used to be kept here; they are removed from every browser that still has them.
  const OLD_KEYS = ["mileage.access", "mileage.refresh", "mileage.expiresAt"];
  // Refresh the access token a little before it expires rather than waiting for a 401.
  const ACCESS_MARGIN_MS = 15000;
  // How often the phone asks whether the QR on screen was used at a shop.
  const QR_STATUS_POLL_MS = 2500;
  const SECTIONS = ["card", "history", "claims", "donate", "settings"];

  const $ = (id) => document.getElementById(id);
  const format = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);
  const points = (n) => format(T.points, { n: numbers.format(n) });
  const signed = (n) => (n > 0 ? "+" : n < 0 ? "\u2212" : "") + numbers.format(Math.abs(n));

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function showError(node, message) {
    node.textContent = message;
    node.hidden = !message;
  }

  // --- tokens -------------------------------------------------------------------------------

  let access = null;
  let accessExpiresAt = 0;

  function saveTokens(body) {
    access = body.access_token;
    accessExpiresAt = Date.now() + body.expires_in * 1000;
  }

  function clearTokens() {
    access = null;
    accessExpiresAt = 0;
  }

  // The access token lives in this script's memory only; the page's other script (mobile-intake.js) asks here.
  window.mileageAccessToken = () => access;

  // A refused token (expired, revoked...) is about the session; anything else (wrong_pin, whether it
  // comes as 401 or 403) is about the request and must never cost a refresh and a second attempt.
  const isTokenFailure = (status, code) => status === 401 && /^(token_|refresh_token_)/.test(code || "");

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || T.network_error);
      this.status = status;
      this.code = body && body.code;
    }
  }

  let refreshing = null;
  let refusedSession = false;

  // Refresh tokens work once, so concurrent callers share one refresh instead of racing.
  function refreshAccess() {
    if (!refreshing) {
      refreshing = (async () => {
        let response;
        try {
          response = await fetch("/auth/session/refresh", {
            method: "POST", credentials: "same-origin", headers: { "Accept-Language": LANG },
          });
        } catch (networkFailure) {
          return false;
        }
        if (!response.ok) {
          // 422 no_browser_session: never signed in here; 401: the sign-in ended (signed out elsewhere, revoked).
          refusedSession = response.status === 401;
          return false;
        }
        saveTokens(await response.json());
        return true;
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function api(path, options = {}, retried = false) {
    if (Date.now() > accessExpiresAt - ACCESS_MARGIN_MS) await refreshAccess();
    const token = access;
    const headers = Object.assign(
      { "Accept-Language": LANG, Authorization: "Bearer " + token }, options.headers || {});
    let response;
    try {
      response = await fetch(path, Object.assign({}, options, { headers }));
    } catch (networkFailure) {
      throw new ApiError(0, null);
    }
    if (response.ok) return response;
    let body = null;
    try { body = await response.json(); } catch (notJson) { body = null; }
    if (isTokenFailure(response.status, body && body.code) && !retried) {
      // Another request may have refreshed meanwhile; otherwise refresh now.
      const renewed = access !== token || (await refreshAccess());
      if (!renewed) {
        signOutLocally(T.session_expired);
        throw new ApiError(401, { message: T.session_expired, code: "session_expired" });
      }
      // A request that carried a PIN is not sent again by itself: she presses the button again.
      if (options.carriesPin) throw new ApiError(401, { message: T.pin_retry, code: "session_renewed" });
      return api(path, options, true);
    }
    throw new ApiError(response.status, body);
  }

  const getJson = async (path) => (await api(path)).json();

  // --- sign in and out ----------------------------------------------------------------------

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("login-error"), "");
    let response;
    try {
      response = await fetch("/auth/session", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept-Language": LANG },
        body: JSON.stringify({ username: $("username").value, password: $("password").value }),
      });
    } catch (networkFailure) {
      showError($("login-error"), T.network_error);
      return;
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      showError($("login-error"), (body && body.message) || T.network_error);
      return;
    }
    if (body.role !== "volunteer") {
      endSession();
      showError($("login-error"), T.not_volunteer);
      return;
    }
    saveTokens(body);
    $("password").value = "";
    showApp();
  });

  // Ends the sign-in on the server: the cookie, and any copy of it, stops working.
  function endSession() {
    return fetch("/auth/session/end", { method: "POST", credentials: "same-origin" }).catch(() => {});
  }

  ["logout", "logout-settings"].forEach((id) => $(id).addEventListener("click", async () => {
    await endSession();
    signOutLocally("");
  }));

  function signOutLocally(message) {
    clearTokens();
    stopQr();
    attempt = null;
    showDonateStep(null);
    $("app").hidden = true;
    $("tabs").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    showError($("login-error"), message);
  }

  function showApp() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("tabs").hidden = false;
    $("logout").hidden = false;
    showSection();
    loadCard().then((now) => { if (now && cardUsable(now)) refreshQr(); });
    loadTier();
    loadExpiry();
    historyList.reset();
    claims.reset();
    loadMonth();
  }

  // --- sections -----------------------------------------------------------------------------

  function currentSection() {
    const asked = window.location.hash.replace("#", "");
    return SECTIONS.includes(asked) ? asked : "card";
  }

  function showSection() {
    const name = currentSection();
    document.querySelectorAll(".section").forEach((node) => { node.hidden = node.dataset.section !== name; });
    document.querySelectorAll(".tab").forEach((tab) => {
      if (tab.dataset.section === name) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    });
    window.scrollTo(0, 0);
  }

  window.addEventListener("hashchange", showSection);

  // --- card ---------------------------------------------------------------------------------

  let card = null;

  // Returns the card, or null when it could not be read (the reason is shown in its place).
  async function loadCard() {
    try {
      card = await getJson("/me/card");
    } catch (error) {
      if (error.status !== 401) $("balance").textContent = error.message;
      return null;
    }
    $("balance").textContent = points(card.balance);
    $("card-number").textContent = card.number_masked;
    const status = $("card-status");
    status.textContent = T["status_" + card.status] || card.status;
    status.className = "badge" + (card.status === "active" ? "" : " warn");
    showCardState(card);
    $("holder").textContent = card.volunteer_name;
    $("pin-state").textContent = card.pin_locked ? T.pin_locked : card.pin_set ? T.pin_is_set : T.pin_not_set;
    $("current-pin-label").hidden = !card.pin_set;
    $("current-pin").required = card.pin_set;
    return card;
  }

  // --- tier ---------------------------------------------------------------------------------

  async function loadTier() {
    let tier;
    try {
      tier = await getJson("/me/tier");
    } catch (error) {
      return;
    }
    if (!tier.tier) return;
    $("tier-name").textContent = format(T.tier_label, { tier: tier.tier });
    $("tier-next").textContent = tier.next_tier
      ? format(T.tier_next, { tier: tier.next_tier, h: numbers.format(tier.hours_to_next) }) : T.tier_top;
    $("tier-keep").textContent = tier.keep_hours
      ? format(tier.keeps ? T.tier_keep : T.tier_keep_missed, { need: tier.keep_hours, have: tier.last_year_hours })
      : "";
    $("tier").hidden = false;
  }

  const cardUsable = (summary) => summary.status === "active" && !summary.pin_locked;

  // What happened to the card and what to do, in words, instead of a raw state and a useless button.
  function showCardState(summary) {
    let message = "";
    if (summary.status === "lost") message = T.card_lost;
    else if (summary.status === "blocked") message = T.card_blocked;
    else if (summary.status === "replaced") message = T.card_replaced;
    else if (summary.pin_locked) message = T.card_pin_locked;
    const notice = $("card-notice");
    notice.className = "card-notice" + (message ? " warn" : "");
    if (!message && summary.replaces_last4) {
      message = format(T.card_reissued, { new: summary.last4, old: summary.replaces_last4 });
    }
    showError(notice, message);
    const usable = cardUsable(summary);
    $("qr-refresh").hidden = !usable;
    if (!usable) {
      stopQr();
      $("qr").hidden = true;
      $("qr-countdown").textContent = "";
      showError($("qr-message"), message);
    }
  }

  // --- dynamic QR ---------------------------------------------------------------------------

  let qrTimer = null;
  let qrTicker = null;
  let qrUrl = null;
  let qrNextAt = 0;
  let qrTokenId = null;
  let qrPoll = null;

  function stopQr() {
    clearTimeout(qrTimer);
    clearInterval(qrTicker);
    clearInterval(qrPoll);
    qrTimer = qrTicker = qrPoll = null;
    qrTokenId = null;
    if (qrUrl) URL.revokeObjectURL(qrUrl);
    qrUrl = null;
    $("qr").removeAttribute("src");
  }

  function tick() {
    const seconds = Math.max(0, Math.round((qrNextAt - Date.now()) / 1000));
    $("qr-countdown").textContent = format(T.qr_countdown, { s: seconds });
  }

  // Each image holds a new single-use token; the next one is fetched before this one expires.
  async function refreshQr() {
    clearTimeout(qrTimer);
    let response;
    let image;
    try {
      response = await api("/me/card/qr.png");
      image = await response.blob();
    } catch (error) {
      clearInterval(qrTicker);
      $("qr").hidden = true;
      $("qr-countdown").textContent = "";
      qrTokenId = null;
      if (error.status === 401) return;
      showError($("qr-message"), error.message);
      if (error.code === "card_not_active" || error.code === "card_pin_locked") {
        loadCard(); // say what happened to the card and what to do
        return;
      }
      // A card that is not active stays that way until staff act; only retry transient failures.
      if (error.status === 0 || error.status >= 500) qrTimer = setTimeout(refreshQr, 15000);
      return;
    }
    const url = URL.createObjectURL(image);
    $("qr").src = url;
    if (qrUrl) URL.revokeObjectURL(qrUrl);
    qrUrl = url;
    $("qr").hidden = false;
    showError($("qr-message"), "");
    qrTokenId = response.headers.get("X-QR-Token-Id");
    clearInterval(qrPoll);
    qrPoll = setInterval(checkQrUsed, QR_STATUS_POLL_MS);
    const refreshAfter = Math.max(5, parseInt(response.headers.get("X-QR-Refresh-After") || "60", 10));
    qrNextAt = Date.now() + refreshAfter * 1000;
    qrTimer = setTimeout(refreshQr, refreshAfter * 1000);
    clearInterval(qrTicker);
    qrTicker = setInterval(tick, 1000);
    tick();
  }

  // A shop scanned and redeemed: show the new balance and a fresh code within seconds, no reload.
  let checking = false;
  async function checkQrUsed() {
    if (!qrTokenId || checking || document.visibilityState !== "visible" || $("app").hidden) return;
    if (currentSection() !== "card") return;
    checking = true;
    const asked = qrTokenId;
    try {
      const status = await getJson("/me/card/qr-status?token_id=" + encodeURIComponent(asked));
      if (status.used && asked === qrTokenId) {
        $("balance").textContent = points(status.balance);
        if (card) card.balance = status.balance;
        showError($("paid-notice"), format(T.paid_notice, { n: points(status.balance) }));
        qrTokenId = null;
        refreshQr();
        historyList.reset();
        loadMonth();
      }
    } catch (error) {
      // A missed check is retried at the next tick.
    } finally {
      checking = false;
    }
  }

  $("qr-refresh").addEventListener("click", () => { showError($("paid-notice"), ""); refreshQr(); });

  // Phones throttle timers in the background: catch up as soon as the page is visible again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || $("app").hidden) return;
    if (card && !cardUsable(card)) return;
    if (Date.now() >= qrNextAt) refreshQr();
    else checkQrUsed();
  });

  // --- causes and donating -------------------------------------------------------------------

  let causes = [];

  // A centre has a handful of causes: follow the cursor to list them all, within a bound.
  async function loadCauses() {
    const found = [];
    let cursor = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await getJson("/causes?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      found.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    causes = found;
    return causes;
  }

  function causeChoice(cause) {
    const row = element("li");
    const label = element("label", "choice");
    const radio = element("input");
    radio.type = "radio";
    radio.name = "cause";
    radio.value = String(cause.id);
    const what = element("span", "what");
    what.appendChild(element("span", "title", cause.name));
    what.appendChild(element("span", "sub", cause.receiving_organisation));
    if (cause.description) what.appendChild(element("span", "sub", cause.description));
    let raised = format(T.cause_raised, { n: numbers.format(cause.donated) });
    if (cause.target_points) raised += " / " + format(T.cause_target, { n: numbers.format(cause.target_points) });
    what.appendChild(element("span", "sub", raised));
    label.append(radio, what);
    row.appendChild(label);
    return row;
  }

  function showDonateStep(step) {
    $("donate-start").hidden = step !== null;
    $("donate-form").hidden = step !== "form";
    $("donate-confirm").hidden = step !== "confirm";
    $("donate-receipt").hidden = step !== "receipt";
  }

  // Typed points get thousands separators as the volunteer types; only whole numbers are read back.
  function readPoints(text) {
    const digits = text.replace(/[,\s]/g, "");
    if (!/^[0-9]{1,15}$/.test(digits) || Number(digits) < 1) return null;
    return Number(digits);
  }

  $("donate-points").addEventListener("input", (event) => {
    const input = event.target;
    // Anything but digits and separators is left as typed, for the check on "next" to refuse.
    if (!/^[0-9,\s]*$/.test(input.value)) return;
    const digitsBeforeCaret = input.value.slice(0, input.selectionStart).replace(/[^0-9]/g, "").length;
    const digits = input.value.replace(/[^0-9]/g, "").slice(0, 15);
    const formatted = digits ? numbers.format(Number(digits)) : "";
    input.value = formatted;
    // Keep the caret after the digit it followed, not at the end of the field.
    let caret = 0;
    for (let seen = 0; caret < formatted.length && seen < digitsBeforeCaret; caret += 1) {
      if (/[0-9]/.test(formatted[caret])) seen += 1;
    }
    input.setSelectionRange(caret, caret);
  });

  $("donate-start").addEventListener("click", async () => {
    showError($("donate-error"), "");
    $("donate-points").value = "";
    $("donate-available").textContent = "";
    $("causes").replaceChildren();
    showDonateStep("form");
    try {
      await Promise.all([loadCard(), loadCauses()]);
    } catch (error) {
      if (error.status !== 401) showError($("donate-error"), error.message);
      return;
    }
    if (card) $("donate-available").textContent = format(T.donate_available, { n: numbers.format(card.balance) });
    $("causes").replaceChildren(...causes.map(causeChoice));
    if (!causes.length) $("causes").appendChild(element("li", "sub empty", T.donate_no_causes));
    if (causes.length === 1) $("causes").querySelector("input").checked = true;
    $("donate-next").disabled = !causes.length;
  });

  $("donate-cancel").addEventListener("click", () => showDonateStep(null));
  $("donate-back").addEventListener("click", () => showDonateStep("form"));
  $("donate-done").addEventListener("click", () => showDonateStep(null));

  // One donation attempt is one Idempotency-Key. Until the server has answered it, sending the same
  // cause and points again (a retry after a lost answer) reuses the key, so at most one donation is
  // made; once answered, or for another cause or amount, the next attempt gets a new key.
  let attempt = null;

  function newIdempotencyKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "donation-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function prepareAttempt(cause, amount) {
    const body = JSON.stringify({ cause_id: cause.id, points: amount });
    if (!attempt || attempt.body !== body) attempt = { key: newIdempotencyKey(), body };
  }

  $("donate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = $("causes").querySelector("input[name=cause]:checked");
    const amount = readPoints($("donate-points").value);
    let problem = "";
    if (!chosen) problem = T.donate_pick_cause;
    else if (amount === null) problem = T.donate_whole_number;
    else if (card && amount > card.balance) problem = format(T.donate_over_balance, { n: numbers.format(card.balance) });
    showError($("donate-error"), problem);
    if (problem) return;
    const cause = causes.find((item) => String(item.id) === chosen.value);
    prepareAttempt(cause, amount);
    $("confirm-cause").textContent = cause.name;
    $("confirm-points").textContent = points(amount);
    $("confirm-balance-after").textContent = card ? points(card.balance - amount) : "";
    showError($("donate-confirm-error"), "");
    $("donate-submit").textContent = T.donate_confirm;
    showDonateStep("confirm");
  });

  $("donate-submit").addEventListener("click", async () => {
    const button = $("donate-submit");
    const sent = attempt;
    button.disabled = true;
    button.textContent = T.donate_sending;
    showError($("donate-confirm-error"), "");
    let receipt;
    try {
      const response = await api("/me/donations", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": sent.key },
        body: sent.body,
      });
      receipt = await response.json();
    } catch (error) {
      button.disabled = false;
      if (error.status === 401) return;
      if (error.status >= 400 && error.status < 500) {
        // Refused (balance, a closed cause...): nothing was donated; fix it on the form.
        attempt = null;
        showDonateStep("form");
        showError($("donate-error"), error.message);
        loadCard();
        return;
      }
      // No answer, or a server failure: the donation may have been made, so a retry sends the same key.
      button.textContent = T.donate_retry;
      showError($("donate-confirm-error"), error.status ? error.message : T.network_error);
      return;
    }
    attempt = null;
    button.disabled = false;
    showReceipt(receipt);
  });

  async function showReceipt(receipt) {
    $("receipt-number").textContent = receipt.receipt_number;
    $("receipt-cause").textContent = receipt.cause_name;
    $("receipt-points").textContent = points(receipt.points);
    $("receipt-date").textContent = dateTime.format(new Date(receipt.donated_at));
    $("receipt-balance").textContent = "";
    showDonateStep("receipt");
    historyList.reset();
    loadExpiry();
    const now = await loadCard();
    if (now) $("receipt-balance").textContent = points(now.balance);
  }

  // --- expiring points and the opt-in to donate them ------------------------------------------

  function expiryRow(item) {
    const row = element("li", "expiry-row");
    row.appendChild(element("div", "title", day(item.date)));
    row.appendChild(element("div", "amount debit", points(item.points)));
    return row;
  }

  async function loadExpiry() {
    let forecast;
    let choice;
    try {
      [forecast, choice] = await Promise.all([getJson("/me/expiry"), getJson("/me/expiry-donation"), loadCauses()]);
    } catch (error) {
      if (error.status !== 401) $("expiry-summary").textContent = error.message;
      return;
    }
    const until = day(forecast.until);
    $("expiry-summary").textContent = forecast.total
      ? format(T.expiry_total, { n: points(forecast.total), until })
      : format(T.expiry_none, { until });
    $("expiry").replaceChildren(...forecast.expiring.map(expiryRow));
    $("expiry-rule").textContent = format(T.expiry_rule, { years: forecast.years });
    showExpiryChoice(choice.opted_in ? choice.cause : null, forecast.donate_to);
  }

  // `goesTo` is where expiring points will really go: nowhere when the chosen cause has closed since.
  function showExpiryChoice(chosen, goesTo) {
    const options = [new Option(T.expiry_donation_off, "")];
    causes.forEach((cause) => options.push(new Option(cause.name, String(cause.id))));
    if (chosen && !causes.some((cause) => cause.id === chosen.id)) {
      options.push(new Option(chosen.name + T.closed_suffix, String(chosen.id)));
    }
    $("expiry-donation-cause").replaceChildren(...options);
    $("expiry-donation-cause").value = chosen ? String(chosen.id) : "";
    let state = "";
    if (chosen) {
      state = format(goesTo ? T.expiry_to_cause : T.expiry_donation_closed, { cause: chosen.name });
    }
    $("expiry-donation-state").textContent = state;
  }

  $("expiry-donation-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("expiry-donation-error"), "");
    $("expiry-donation-ok").hidden = true;
    const causeId = $("expiry-donation-cause").value;
    try {
      if (causeId) {
        await api("/me/expiry-donation", {
          method: "PUT", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ cause_id: Number(causeId) }),
        });
      } else {
        await api("/me/expiry-donation", { method: "DELETE" });
      }
    } catch (error) {
      showError($("expiry-donation-error"), error.message);
      loadExpiry();
      return;
    }
    $("expiry-donation-ok").hidden = false;
    loadExpiry();
  });

  // --- history and claims -------------------------------------------------------------------

  // `sortKey`, when given, keeps every loaded item in that order (newest first), whatever page it came on.
  function pagedList(path, listNode, moreButton, renderItem, sortKey) {
    let cursor = null;
    let items = [];

    async function load(reset) {
      if (reset) {
        cursor = null;
        items = [];
        listNode.replaceChildren();
      }
      const query = cursor ? "?cursor=" + encodeURIComponent(cursor) : "";
      let page;
      try {
        page = await getJson(path + query);
      } catch (error) {
        if (error.status !== 401) listNode.replaceChildren(element("li", "sub", error.message));
        return;
      }
      if (sortKey) {
        items = items.concat(page.items);
        items.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0));
        listNode.replaceChildren(...items.map(renderItem));
      } else {
        page.items.forEach((item) => listNode.appendChild(renderItem(item)));
      }
      if (!listNode.children.length) listNode.appendChild(element("li", "sub empty", T.empty));
      cursor = page.next_cursor;
      moreButton.hidden = !cursor;
    }

    moreButton.addEventListener("click", () => load(false));
    return { reset: () => load(true) };
  }

  function duration(minutes) {
    const total = Math.abs(minutes);
    return format(T.minutes, { h: Math.floor(total / 60), m: total % 60 });
  }

  function historyRow(item) {
    const row = element("li", "history-row");
    const what = element("div", "what");
    what.appendChild(element("div", "title", T.kinds[item.kind] || item.kind));
    const detail = item.organisation_name
      ? item.organisation_name + (item.claim_minutes ? " · " + duration(item.claim_minutes) : "")
      : item.memo;
    if (detail) what.appendChild(element("div", "sub", detail));
    what.appendChild(element("div", "sub", dateTime.format(new Date(item.created_at)) + " · " + item.card_last4));
    const amount = element("div", "amount");
    amount.appendChild(element("div", item.amount > 0 ? "credit" : "debit", signed(item.amount)));
    amount.appendChild(element("div", "sub", format(T.balance_after, { n: numbers.format(item.balance_after) })));
    row.append(what, amount);
    return row;
  }

  function claimRow(item) {
    const row = element("li", "claim-row");
    const what = element("div", "what");
    what.appendChild(element("div", "title", item.organisation_name));
    what.appendChild(element("div", "sub",
      item.work_date + " " + item.start_time + "–" + item.end_time + " · " + duration(item.minutes)));
    if (item.rejection_reason) what.appendChild(element("div", "sub", item.rejection_reason));
    const side = element("div", "amount");
    side.appendChild(element("span", "state state-" + item.state, T["claim_" + item.state] || item.state));
    if (item.points) side.appendChild(element("div", "sub", points(item.points)));
    if (item.withheld_points && T["withheld_" + item.withheld_by]) {
      what.appendChild(element("div", "sub withheld", format(T["withheld_" + item.withheld_by],
        { n: numbers.format(item.withheld_points) })));
    }
    row.append(what, side);
    return row;
  }

  const historyList = pagedList("/me/history", $("history"), $("history-more"), historyRow);
  const claims = pagedList("/me/claims", $("claims"), $("claims-more"), claimRow,
    (item) => item.work_date + " " + item.start_time + " " + String(item.id).padStart(12, "0"));

  // --- the statement by month ---------------------------------------------------------------

  const todayMonth = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul", year: "numeric", month: "2-digit" })
    .format(new Date()).slice(0, 7);
  let shownMonth = todayMonth;

  function shiftMonth(month, by) {
    const [y, m] = month.split("-").map(Number);
    const index = y * 12 + (m - 1) + by;
    return String(Math.floor(index / 12)) + "-" + String((index % 12) + 1).padStart(2, "0");
  }

  function monthLine(line) {
    const row = element("li", "month-row");
    const what = element("div", "what");
    what.appendChild(element("div", "title", T.kinds[line.kind] || line.kind));
    const detail = line.organisation_name
      ? line.organisation_name + (line.minutes ? " · " + duration(line.minutes) : "") : line.memo;
    if (detail) what.appendChild(element("div", "sub", detail));
    what.appendChild(element("div", "sub", day(line.day)));
    const amount = element("div", "amount");
    amount.appendChild(element("div", line.points > 0 ? "credit" : "debit", signed(line.points)));
    amount.appendChild(element("div", "sub", format(T.balance_after, { n: numbers.format(line.balance) })));
    row.append(what, amount);
    return row;
  }

  async function loadMonth() {
    const month = shownMonth;
    const [y, m] = month.split("-").map(Number);
    $("month-label").textContent = format(T.month_label, { y, m });
    $("month-next").disabled = month >= todayMonth;
    let statement;
    try {
      statement = await getJson("/me/statement?month=" + month);
    } catch (error) {
      if (error.status !== 401) $("month-lines").replaceChildren(element("li", "sub", error.message));
      return;
    }
    if (month !== shownMonth) return;
    $("month-opening").textContent = points(statement.opening_balance);
    $("month-earned").textContent = points(statement.earned);
    $("month-used").textContent = points(statement.used);
    $("month-hours").textContent = duration(statement.minutes);
    $("month-closing").textContent = points(statement.closing_balance);
    const lines = statement.lines.slice().reverse().map(monthLine);
    $("month-lines").replaceChildren(...(lines.length ? lines : [element("li", "sub empty", T.month_empty)]));
  }

  $("month-prev").addEventListener("click", () => { shownMonth = shiftMonth(shownMonth, -1); loadMonth(); });
  $("month-next").addEventListener("click", () => {
    if (shownMonth < todayMonth) shownMonth = shiftMonth(shownMonth, 1);
    loadMonth();
  });

  // --- statement ----------------------------------------------------------------------------

  $("statement-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("statement-error"), "");
    const query = new URLSearchParams();
    if ($("statement-from").value && $("statement-to").value && $("statement-from").value > $("statement-to").value) {
      showError($("statement-error"), T.statement_reversed);
      return;
    }
    if ($("statement-from").value) query.set("from", $("statement-from").value);
    if ($("statement-to").value) query.set("to", $("statement-to").value);
    let response;
    let file;
    try {
      response = await api("/me/statement.csv" + (query.toString() ? "?" + query : ""));
      file = await response.blob();
    } catch (error) {
      showError($("statement-error"), error.message);
      return;
    }
    const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const link = element("a");
    link.href = URL.createObjectURL(file);
    link.download = named ? named[1] : "mileage-statement.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });

  // --- PIN ----------------------------------------------------------------------------------

  $("pin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("pin-error"), "");
    $("pin-ok").hidden = true;
    const body = { new_pin: $("new-pin").value };
    if (card && card.pin_set) body.current_pin = $("current-pin").value;
    try {
      await api("/me/card/pin", {
        method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), carriesPin: true,
      });
    } catch (error) {
      // wrong_pin (401 or 403) is about the card: shown once, never retried with the same PIN.
      $("current-pin").value = "";
      showError($("pin-error"), error.message);
      loadCard();
      return;
    }
    $("new-pin").value = "";
    $("current-pin").value = "";
    $("pin-ok").hidden = false;
    loadCard();
  });

  // --- start --------------------------------------------------------------------------------

  OLD_KEYS.forEach((key) => { window.sessionStorage.removeItem(key); window.localStorage.removeItem(key); });
  refreshAccess().then((signedIn) => {
    if (signedIn) showApp();
    else signOutLocally(refusedSession ? T.session_expired : "");
  });
})();
