// Audit packs page: poll each pack still queued or rendering and update its row; when one
// is ready or failed, reload the page. Without JavaScript, the page's Refresh link works.
(function () {
  "use strict";

  function poll(row) {
    fetch(row.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (pack) {
        var bar = row.querySelector("progress");
        var label = row.querySelector("[data-role=status]");
        if (bar) { bar.value = pack.progress; bar.textContent = pack.progress + "%"; }
        if (label) { label.textContent = pack.status_label; }
        if (pack.status === "ready" || pack.status === "failed" || pack.status === "not_queued") {
          window.location.reload();
          return;
        }
        setTimeout(function () { poll(row); }, 1000);
      })
      .catch(function () { setTimeout(function () { poll(row); }, 5000); });
  }

  document.querySelectorAll("tr[data-status-url]").forEach(function (row) {
    if (row.dataset.active === "true") { poll(row); }
  });
})();
