// The volunteer's mobile page: signs in, then shows the card, a self-refreshing QR, history, claims,
// the statement download and the PIN form, all from the JSON API with the bearer token.
(function () {
  "use strict";

  const T = JSON.parse(document.getElementById("messages").textContent);
  const LANG = document.documentElement.lang || "ko";
  const LOCALE = LANG === "en" ? "en-US" : "ko-KR";
  const numbers = new Intl.NumberFormat(LOCALE);
  const dateTime = new Intl.DateTimeFormat(LOCALE, {
    timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  const store = window.sessionStorage;
  const KEYS = { access: "mileage.access", refresh: "mileage.refresh", expiresAt: "mileage.expiresAt" };
  // Refresh the access token a little before it expires rather than waiting for a 401.
  const ACCESS_MARGIN_MS = 15000;

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

  function saveTokens(pair) {
    store.setItem(KEYS.access, pair.access_token);
    store.setItem(KEYS.refresh, pair.refresh_token);
    store.setItem(KEYS.expiresAt, String(Date.now() + pair.expires_in * 1000));
  }

  function clearTokens() {
    Object.values(KEYS).forEach((key) => store.removeItem(key));
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || T.network_error);
      this.status = status;
      this.code = body && body.code;
    }
  }

  let refreshing = null;

  // Refresh tokens work once, so concurrent callers share one refresh instead of racing.
  function refreshAccess() {
    if (!refreshing) {
      refreshing = (async () => {
        const refreshToken = store.getItem(KEYS.refresh);
        if (!refreshToken) return false;
        const response = await fetch("/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept-Language": LANG },
          body: JSON.stringify({ refresh_token: refreshToken }),
        });
        if (!response.ok) return false;
        saveTokens(await response.json());
        return true;
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function api(path, options = {}, retried = false) {
    if (Date.now() > Number(store.getItem(KEYS.expiresAt) || 0) - ACCESS_MARGIN_MS) await refreshAccess();
    const token = store.getItem(KEYS.access);
    const headers = Object.assign(
      { "Accept-Language": LANG, Authorization: "Bearer " + token }, options.headers || {});
    let response;
    try {
      response = await fetch(path, Object.assign({}, options, { headers }));
    } catch (networkFailure) {
      throw new ApiError(0, null);
    }
    if (response.status === 401 && !retried) {
      // Another request may have refreshed meanwhile; otherwise refresh now.
      if (store.getItem(KEYS.access) !== token || (await refreshAccess())) return api(path, options, true);
      signOutLocally(T.session_expired);
      throw new ApiError(401, { message: T.session_expired });
    }
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (notJson) { body = null; }
      throw new ApiError(response.status, body);
    }
    return response;
  }

  const getJson = async (path) => (await api(path)).json();

  // --- sign in and out ----------------------------------------------------------------------

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("login-error"), "");
    let response;
    try {
      response = await fetch("/auth/token", {
        method: "POST",
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
      revoke(body.refresh_token);
      showError($("login-error"), T.not_volunteer);
      return;
    }
    saveTokens(body);
    $("password").value = "";
    showApp();
  });

  function revoke(refreshToken) {
    if (!refreshToken) return;
    fetch("/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    }).catch(() => {});
  }

  $("logout").addEventListener("click", () => {
    revoke(store.getItem(KEYS.refresh));
    signOutLocally("");
  });

  function signOutLocally(message) {
    clearTokens();
    stopQr();
    $("app").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    showError($("login-error"), message);
  }

  function showApp() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    loadCard();
    refreshQr();
    historyList.reset();
    claims.reset();
  }

  // --- card ---------------------------------------------------------------------------------

  let card = null;

  async function loadCard() {
    try {
      card = await getJson("/me/card");
    } catch (error) {
      if (error.status !== 401) $("balance").textContent = error.message;
      return;
    }
    $("balance").textContent = points(card.balance);
    $("card-number").textContent = card.number_masked;
    const status = $("card-status");
    status.textContent = T["status_" + card.status] || card.status;
    status.className = "badge" + (card.status === "active" ? "" : " warn");
    $("holder").textContent = card.volunteer_name;
    $("pin-state").textContent = card.pin_locked ? T.pin_locked : card.pin_set ? T.pin_is_set : T.pin_not_set;
    $("current-pin-label").hidden = !card.pin_set;
    $("current-pin").required = card.pin_set;
  }

  // --- dynamic QR ---------------------------------------------------------------------------

  let qrTimer = null;
  let qrTicker = null;
  let qrUrl = null;
  let qrNextAt = 0;

  function stopQr() {
    clearTimeout(qrTimer);
    clearInterval(qrTicker);
    qrTimer = qrTicker = null;
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
      if (error.status === 401) return;
      showError($("qr-message"), error.message);
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
    const refreshAfter = Math.max(5, parseInt(response.headers.get("X-QR-Refresh-After") || "60", 10));
    qrNextAt = Date.now() + refreshAfter * 1000;
    qrTimer = setTimeout(refreshQr, refreshAfter * 1000);
    clearInterval(qrTicker);
    qrTicker = setInterval(tick, 1000);
    tick();
  }

  $("qr-refresh").addEventListener("click", refreshQr);

  // Phones throttle timers in the background: catch up as soon as the page is visible again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !$("app").hidden && Date.now() >= qrNextAt) refreshQr();
  });

  // --- history and claims -------------------------------------------------------------------

  function pagedList(path, listNode, moreButton, renderItem) {
    let cursor = null;

    async function load(reset) {
      if (reset) {
        cursor = null;
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
      page.items.forEach((item) => listNode.appendChild(renderItem(item)));
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
    row.append(what, side);
    return row;
  }

  const historyList = pagedList("/me/history", $("history"), $("history-more"), historyRow);
  const claims = pagedList("/me/claims", $("claims"), $("claims-more"), claimRow);

  // --- statement ----------------------------------------------------------------------------

  $("statement-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("statement-error"), "");
    const query = new URLSearchParams();
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
        method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
    } catch (error) {
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

  if (store.getItem(KEYS.refresh)) {
    showApp();
  } else {
    $("login").hidden = false;
  }
})();
