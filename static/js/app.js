// Small enhancements only: every page works without this file.
(function () {
  "use strict";

  // Ask before submitting forms that remove something (data-confirm="Question?").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The management-system switcher navigates as soon as a system is chosen.
  var switcher = document.getElementById("ms-switch");
  if (switcher && switcher.form) {
    switcher.addEventListener("change", function () { switcher.form.submit(); });
  }

  // A navigation menu closes when the user clicks elsewhere or presses Escape.
  var menus = document.querySelectorAll(".nav-menu details");
  function closeMenus(except) {
    menus.forEach(function (menu) { if (menu !== except) { menu.removeAttribute("open"); } });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest(".nav-menu details") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeMenus(null); }
  });

  // Move focus to the first error summary so screen-reader users hear what went wrong.
  var summary = document.querySelector(".error-summary, .notice--conflict");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
})();
