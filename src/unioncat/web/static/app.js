// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Sort menus submit on change; their button stays for keyboard and no-JS users but is hidden here.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    var button = form && form.querySelector(".sort-submit");
    if (button) { button.classList.add("visually-hidden"); }
    select.addEventListener("change", function () { form.submit(); });
  });
  // Print buttons appear only when they can work.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Select the permalink on focus so it can be copied at once.
  var permalink = document.getElementById("permalink");
  if (permalink) { permalink.addEventListener("focus", function () { permalink.select(); }); }
})();
