// Small conveniences only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A filter select applies itself when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  // A scan replaces what the field held: select its text when it gets focus.
  document.querySelectorAll("input[data-scan]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  // Copy buttons (for a token shown once), shown only where the clipboard can be used.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
    });
  });
});
