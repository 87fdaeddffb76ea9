// Keyboard-first review. Outside a text field: j/k or arrows move between documents, Enter opens
// the chosen one in the queue, c confirms all, e edits, q goes back to the queue. In a field:
// Enter saves and goes on (the form's first button), Ctrl+Enter confirms all, Esc leaves the field.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link && link.href) { window.location.assign(link.href); return true; }
    return false;
  }

  function queueRows() { return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr[data-href]")); }

  function moveInQueue(step) {
    var rows = queueRows();
    if (!rows.length) { return; }
    var at = rows.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = Math.max(0, Math.min(rows.length - 1, (at < 0 ? 0 : at + step)));
    rows.forEach(function (r) { r.classList.remove("selected"); });
    rows[next].classList.add("selected");
    rows[next].scrollIntoView({block: "nearest"});
  }

  function highlight(name, on) {
    document.querySelectorAll('[data-field="' + CSS.escape(name) + '"]').forEach(function (el) {
      el.classList.toggle("active", on);
    });
  }

  document.addEventListener("focusin", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-field]");
    if (row) { highlight(row.getAttribute("data-field"), true); }
  });
  document.addEventListener("focusout", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-field]");
    if (row) { highlight(row.getAttribute("data-field"), false); }
  });

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.metaKey) { return; }
    var form = document.getElementById("fields");
    if (typing(e.target)) {
      if (e.key === "Escape") { e.target.blur(); e.preventDefault(); }
      else if (e.key === "Enter" && e.ctrlKey && form) {
        e.preventDefault();
        form.requestSubmit(document.getElementById("confirm-all"));
      }
      return;
    }
    if (e.ctrlKey) { return; }
    var inQueue = queueRows().length > 0;
    switch (e.key) {
      case "j": case "ArrowDown": case "ArrowRight":
        if (inQueue && e.key !== "ArrowRight") { moveInQueue(1); e.preventDefault(); }
        else if (go("next")) { e.preventDefault(); }
        break;
      case "k": case "ArrowUp": case "ArrowLeft":
        if (inQueue && e.key !== "ArrowLeft") { moveInQueue(-1); e.preventDefault(); }
        else if (go("prev")) { e.preventDefault(); }
        break;
      case "Enter":
        if (inQueue) {
          var row = document.querySelector("table.queue tbody tr.selected");
          if (row) { window.location.assign(row.getAttribute("data-href")); e.preventDefault(); }
        } else if (form) { form.requestSubmit(document.getElementById("save")); e.preventDefault(); }
        break;
      case "c":
        if (form) { form.requestSubmit(document.getElementById("confirm-all")); e.preventDefault(); }
        break;
      case "e":
        var first = (form && (form.querySelector("tr.flagged input") || form.querySelector("input:not([type=hidden])")));
        if (first) { first.focus(); first.select(); e.preventDefault(); }
        break;
      case "/":
        var search = document.querySelector("#filters input[type=search]");
        if (search) { search.focus(); e.preventDefault(); }
        break;
      case "q":
        if (go("back")) { e.preventDefault(); }
        break;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var focused = document.querySelector("input[autofocus]");
    if (focused) { focused.focus(); focused.select(); }
  });
})();
