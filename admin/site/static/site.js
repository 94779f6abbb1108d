// The site kiosk: sign in as the coordinator or as a site device, scan cards to check volunteers in
// and out, see and correct the day's visits, and (a coordinator) upload a sheet of hours.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("messages").textContent);
  const LANG = document.documentElement.lang || "ko";
  const SESSION_KEY = "mileage.site.session";
  const format = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);

  let session = null; // {token, role}
  let lastUpload = null;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function show(node, message, className) {
    node.textContent = message || "";
    node.hidden = !message;
    if (className !== undefined) node.className = className;
  }

  async function call(method, path, body, isForm) {
    const headers = { "Accept-Language": LANG };
    if (session) headers.Authorization = "Bearer " + session.token;
    let payload;
    if (isForm) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload });
    } catch (error) {
      throw { message: T.network_error };
    }
    const data = response.headers.get("Content-Type", "").includes("json") ? await response.json() : null;
    if (response.status === 401 && session) {
      signOut();
      show($("login-error"), T.session_expired);
    }
    if (!response.ok) throw data || { message: T.network_error };
    return data;
  }

  // --- sign-in ------------------------------------------------------------------------------

  function mode() {
    return document.querySelector("input[name=mode]:checked").value;
  }

  function relabel() {
    for (const id of ["user-label", "secret-label"]) $(id).textContent = $(id).dataset[mode()];
  }

  async function signIn(event) {
    event.preventDefault();
    show($("login-error"), "");
    const user = $("login-user").value.trim();
    const secret = $("login-secret").value;
    try {
      const answer = mode() === "device"
        ? await call("POST", "/site/auth/token", { key_id: user, secret })
        : await call("POST", "/auth/token", { username: user, password: secret });
      session = { token: answer.access_token, role: answer.role || "site" };
      window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
      $("login-secret").value = "";
      start();
    } catch (error) {
      show($("login-error"), error.message);
    }
  }

  function signOut() {
    session = null;
    window.sessionStorage.removeItem(SESSION_KEY);
    $("app").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
  }

  function start() {
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    $("upload-panel").hidden = session.role === "site";
    $("devices-panel").hidden = session.role !== "coordinator";
    $("scan").focus();
    refreshVisits();
    if (session.role === "coordinator") refreshDevices();
  }

  // --- scans --------------------------------------------------------------------------------

  let scanning = false;

  async function scan(event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const scanned = $("scan").value.trim();
    $("scan").value = "";
    if (!scanned || scanning) return;
    scanning = true;
    try {
      const answer = await call("POST", "/site/scans", { scanned, category: $("category").value.trim() });
      show($("result"), answer.message, "result " + answer.action);
      $("result").dataset.action = answer.action;
      refreshVisits();
    } catch (error) {
      show($("result"), error.message, "result error");
      $("result").dataset.action = "error";
    } finally {
      scanning = false;
      $("scan").focus();
    }
  }

  async function refreshVisits() {
    let answer;
    try {
      answer = await call("GET", "/site/visits");
    } catch (error) {
      return;
    }
    const list = $("visits");
    list.replaceChildren();
    $("visits-empty").hidden = answer.items.length > 0;
    for (const visit of answer.items) {
      const item = element("li");
      item.dataset.visitId = visit.id;
      item.dataset.state = visit.state;
      item.append(element("span", "badge " + visit.state, T["state_" + visit.state]), " ");
      item.append(element("strong", "holder", visit.holder_name), " ");
      let times = visit.work_date + " · " + T.in + " " + visit.checked_in;
      if (visit.checked_out) times += " · " + T.out + " " + visit.checked_out;
      if (visit.claim_id) times += " · " + T.claim + " #" + visit.claim_id;
      item.append(element("span", "times", times + " · " + visit.category));
      if (session.role !== "site" && visit.state !== "open") item.append(" ", correctionForm(visit));
      list.append(item);
    }
  }

  function correctionForm(visit) {
    const form = element("form", "correction");
    const start = element("input");
    start.type = "time";
    start.value = visit.checked_in;
    start.setAttribute("aria-label", T.in);
    const end = element("input");
    end.type = "time";
    end.value = visit.checked_out || "";
    end.setAttribute("aria-label", T.out);
    const button = element("button", "", T.correct);
    button.type = "submit";
    const said = element("span", "said");
    form.append(start, end, button, said);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await call("POST", `/site/visits/${visit.id}/correction`, { start_time: start.value, end_time: end.value });
        show($("result"), T.saved, "result check_out");
        refreshVisits();
      } catch (error) {
        said.textContent = error.message;
        said.className = "said error";
      }
    });
    return form;
  }

  // --- site devices (coordinator) -----------------------------------------------------------

  async function refreshDevices() {
    let answer;
    try {
      answer = await call("GET", "/site/devices");
    } catch (error) {
      return;
    }
    const list = $("devices");
    list.replaceChildren();
    for (const device of answer.items) {
      const item = element("li", "", device.name + " · " + device.key_id + " ");
      item.dataset.deviceId = device.id;
      if (device.revoked_at) {
        item.append(element("span", "badge flagged", T.device_revoked));
      } else {
        const button = element("button", "", T.device_revoke);
        button.type = "button";
        button.addEventListener("click", async () => {
          await call("POST", `/site/devices/${device.id}/revoke`).catch(() => null);
          refreshDevices();
        });
        item.append(button);
      }
      list.append(item);
    }
  }

  async function createDevice(event) {
    event.preventDefault();
    try {
      const answer = await call("POST", "/site/devices", { name: $("device-name").value.trim() });
      show($("device-secret"), format(T.device_secret, { key_id: answer.device.key_id, secret: answer.secret }));
      $("device-name").value = "";
      refreshDevices();
    } catch (error) {
      show($("device-secret"), error.message, "result error");
    }
  }

  // --- uploads (coordinator) ----------------------------------------------------------------

  async function downloadTemplate() {
    const response = await fetch("/admin/claims/uploads/template.xlsx", {
      headers: { Authorization: "Bearer " + session.token },
    });
    const link = element("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = "hours-template.xlsx";
    link.click();
  }

  function showReport(report) {
    lastUpload = report;
    const summary = report.state === "confirmed"
      ? format(T.confirmed_summary, report)
      : format(T.preview_summary, { ...report, rows: report.total_rows });
    show($("upload-summary"), summary);
    const confirm = $("upload-confirm");
    confirm.hidden = report.state !== "previewed" || report.created === 0;
    confirm.textContent = format(T.confirm, { n: report.created });
    const body = $("upload-rows").tBodies[0];
    body.replaceChildren();
    for (const row of report.rows) {
      const tr = element("tr", row.status);
      tr.dataset.row = row.row;
      tr.dataset.status = row.status;
      const when = row.work_date ? `${row.work_date} ${row.start_time || ""}–${row.end_time || ""}` : "";
      for (const text of [row.row, T["status_" + row.status], row.volunteer_name, when,
        row.messages.map((m) => m.message).join(" / ")]) {
        tr.append(element("td", "", text));
      }
      body.append(tr);
    }
    $("upload-rows").hidden = false;
  }

  async function previewUpload(event) {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      showReport(await call("POST", "/admin/claims/uploads", form, true));
    } catch (error) {
      show($("upload-summary"), error.message);
    }
  }

  async function confirmUpload() {
    try {
      showReport(await call("POST", `/admin/claims/uploads/${lastUpload.upload_id}/confirm`));
    } catch (error) {
      show($("upload-summary"), error.message);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const radio of document.querySelectorAll("input[name=mode]")) radio.addEventListener("change", relabel);
    $("login-form").addEventListener("submit", signIn);
    $("logout").addEventListener("click", signOut);
    $("scan").addEventListener("keydown", scan);
    // Choosing the category hands the focus back to the scan field, where the scanner types.
    $("category").addEventListener("change", () => $("scan").focus());
    $("category").addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        $("scan").focus();
      }
    });
    $("template").addEventListener("click", downloadTemplate);
    $("device-form").addEventListener("submit", createDevice);
    $("upload-form").addEventListener("submit", previewUpload);
    $("upload-confirm").addEventListener("click", confirmUpload);
    try {
      session = JSON.parse(window.sessionStorage.getItem(SESSION_KEY) || "null");
    } catch (error) {
      session = null;
    }
    if (session) start();
    else $("login").hidden = false;
  });
})();
