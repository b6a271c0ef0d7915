// The SoA row editor's AI system search, in place: without this file the search reloads the page (a GET form).
// Ticked systems are kept when the results change (they move to the linked list); every listed system
// carries a hidden "shown" input, so saving changes only the listed systems' links.
(function () {
  "use strict";

  var picker = document.querySelector(".soa-picker[data-search-url]");
  var searchForm = document.getElementById("soa-system-search");
  var input = document.getElementById("soa-system-q");
  if (!picker || !searchForm || !input || !window.fetch) { return; }

  var url = picker.getAttribute("data-search-url");
  var field = picker.getAttribute("data-field");
  var shownField = picker.getAttribute("data-shown-field");
  var linkedList = picker.querySelector(".soa-picker__linked");
  var foundList = picker.querySelector(".soa-picker__found");
  var more = picker.querySelector(".soa-picker__more");
  var heading = foundList.previousElementSibling;
  var timer = null;
  var latest = 0;

  function item(system, ticked) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = field;
    box.value = String(system.id);
    box.defaultChecked = ticked;  // linked now: unticking it is a change to keep
    box.checked = ticked;
    var ref = document.createElement("span");
    ref.className = "ref";
    ref.textContent = system.reference;
    label.appendChild(box);
    label.appendChild(document.createTextNode(" "));
    label.appendChild(ref);
    label.appendChild(document.createTextNode(" " + system.name));
    var shown = document.createElement("input");
    shown.type = "hidden";
    shown.name = shownField;
    shown.value = String(system.id);
    li.appendChild(label);
    li.appendChild(shown);
    return li;
  }

  function note(list, text) {
    var li = document.createElement("li");
    li.className = "muted soa-picker__none";
    li.textContent = text;
    list.appendChild(li);
  }

  function keepTicked() {
    // A system ticked among the results, or linked and unticked, stays listed with the linked ones,
    // so saving applies that choice; the others leave the list (their links are kept as they are).
    Array.prototype.slice.call(foundList.querySelectorAll("li")).forEach(function (li) {
      var box = li.querySelector("input[type=checkbox]");
      if (box && (box.checked || box.defaultChecked)) {
        var none = linkedList.querySelector(".soa-picker__none");
        if (none) { none.remove(); }
        linkedList.appendChild(li);
      } else {
        li.remove();
      }
    });
  }

  function listedIds() {
    var ids = {};
    linkedList.querySelectorAll("input[type=checkbox]").forEach(function (box) { ids[box.value] = true; });
    return ids;
  }

  function show(body, query) {
    keepTicked();
    var listed = listedIds();
    var count = 0;
    body.results.forEach(function (system) {
      if (listed[String(system.id)]) { return; }
      foundList.appendChild(item(system, system.linked));
      count += 1;
    });
    if (!count) { note(foundList, query ? "No AI system matches." : "No other AI systems."); }
    if (heading) { heading.textContent = query ? "Found for “" + query + "”" : "Other AI systems"; }
    if (more) { more.hidden = !body.more; }
  }

  function search() {
    var query = input.value.trim();
    var ask = ++latest;
    fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && ask === latest) { show(body, query); } })
      .catch(function () { /* the plain search form still works */ });
  }

  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 250);
  });
  // Enter in the search field searches (it belongs to the search form), never saves the row.
})();
