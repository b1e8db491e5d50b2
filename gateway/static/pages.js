/* Veilleuse pages: small enhancements only; every page works the same without this file. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // The desk's name search filters the sign-in list as the volunteer types; without script it is a plain form.
  var search = document.querySelector("[data-desk-search]");
  if (!search) { return; }
  var input = search.querySelector("input[name=q]");
  var status = document.getElementById("search-result");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-name]"));
  var fold = function (text) { return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
  var timer = null;
  input.addEventListener("input", function () {
    var wanted = fold(input.value.trim());
    var shown = 0;
    rows.forEach(function (row) {
      var match = row.getAttribute("data-name").indexOf(wanted) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    // Said once the typing pauses, so that a screen reader is not interrupted at every letter.
    clearTimeout(timer);
    timer = setTimeout(function () {
      status.textContent = wanted ? status.getAttribute("data-shown-template")
        .replace("{shown}", String(shown)).replace("{total}", String(rows.length)) : "";
    }, 400);
  });
})();
