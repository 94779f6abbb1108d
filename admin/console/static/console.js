// Staff console enhancements; every page also works without this script.
(function () {
  "use strict";

  // Select-all checkboxes: <input type=checkbox data-select-all="name"> toggles every box of that name.
  function updateSelection(name) {
    var boxes = document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
    var checked = 0;
    boxes.forEach(function (box) {
      if (box.checked) { checked += 1; }
      var row = box.closest("tr");
      if (row) { row.classList.toggle("selected", box.checked); }
    });
    document.querySelectorAll('[data-select-all="' + name + '"]').forEach(function (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
    document.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (counter) {
      counter.textContent = counter.getAttribute("data-template").replace("{n}", String(checked));
    });
    document.querySelectorAll('[data-needs-selection="' + name + '"]').forEach(function (button) {
      button.disabled = checked === 0;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var allName = target.getAttribute && target.getAttribute("data-select-all");
    if (allName) {
      document.querySelectorAll('input[type=checkbox][name="' + allName + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
      updateSelection(allName);
    } else if (target.type === "checkbox" && document.querySelector('[data-select-all="' + target.name + '"]')) {
      updateSelection(target.name);
    }
  });

  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter || event.target.querySelector("[data-confirm]");
    var question = (submitter && submitter.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one submission: a double click must not post twice.
    if ((event.target.getAttribute("method") || "").toLowerCase() !== "post") {
      return;
    }
    if (event.target.getAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    event.target.setAttribute("data-submitted", "1");
  });

  // A page restored by the back button may be submitted again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      updateSelection(all.getAttribute("data-select-all"));
    });
  });
})();
