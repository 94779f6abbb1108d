// /m's own-claim form and certificate of hours: separate sections that call /me/claim-options,
// POST /me/claims and POST /me/certificates with the access token the card script keeps in memory.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const T = JSON.parse($("intake-messages").textContent);
  const LANG = document.documentElement.lang || "ko";
  const format = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);
  const seoulDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul" });
  let loaded = false;

  function show(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  async function api(path, options) {
    const token = window.mileageAccessToken && window.mileageAccessToken();
    if (!token) throw { message: T.signed_out };
    const response = await fetch(path, Object.assign({}, options, {
      headers: { "Accept-Language": LANG, Authorization: "Bearer " + token, "Content-Type": "application/json" },
    }));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw body;
    return body;
  }

  async function load() {
    if (loaded || $("app").hidden) return;
    loaded = true;
    const today = seoulDay.format(new Date());
    $("own-claim-date").value = today;
    $("certificate-to").value = today;
    $("certificate-from").value = today.slice(0, 4) + "-01-01";
    let options;
    try {
      options = await api("/me/claim-options");
    } catch (error) {
      loaded = false;
      return;
    }
    if (!options.self_submission) {
      $("own-claim-hint").textContent = T.claim_form_disabled;
      return;
    }
    const select = $("own-claim-organisation");
    select.replaceChildren();
    for (const organisation of options.organisations) {
      const option = document.createElement("option");
      option.value = organisation.id;
      option.textContent = organisation.name;
      select.append(option);
    }
    const list = $("own-claim-categories");
    for (const category of options.categories) {
      const option = document.createElement("option");
      option.value = category;
      list.append(option);
    }
    $("own-claim-form").hidden = false;
  }

  async function submitClaim(event) {
    event.preventDefault();
    show($("own-claim-error"), "");
    show($("own-claim-ok"), "");
    try {
      const claim = await api("/me/claims", {
        method: "POST",
        body: JSON.stringify({
          organisation_id: Number($("own-claim-organisation").value),
          work_date: $("own-claim-date").value,
          start_time: $("own-claim-start").value,
          end_time: $("own-claim-end").value,
          category: $("own-claim-category").value.trim(),
          note: $("own-claim-note").value.trim(),
        }),
      });
      show($("own-claim-ok"), format(T.claim_submitted, claim));
    } catch (error) {
      show($("own-claim-error"), error.message);
    }
  }

  async function issueCertificate(event) {
    event.preventDefault();
    show($("certificate-error"), "");
    try {
      const certificate = await api("/me/certificates", {
        method: "POST",
        body: JSON.stringify({ period_start: $("certificate-from").value, period_end: $("certificate-to").value }),
      });
      show($("certificate-ok"), format(T.certificate_issued, certificate));
      const link = $("certificate-link");
      link.href = certificate.print_url;
      link.hidden = false;
    } catch (error) {
      show($("certificate-error"), error.message);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("own-claim-form").addEventListener("submit", submitClaim);
    $("certificate-form").addEventListener("submit", issueCertificate);
    // The page shows #app once the volunteer is signed in.
    new MutationObserver(load).observe($("app"), { attributes: true, attributeFilter: ["hidden"] });
    load();
  });
})();
