(function () {
  "use strict";
  var d = document;
  var sections = Array.prototype.slice.call(d.querySelectorAll("details.acct"));
  var overview = {};
  Array.prototype.forEach.call(d.querySelectorAll("tr[data-acct]"), function (tr) {
    overview[tr.getAttribute("data-acct")] = tr;
  });
  var box = d.getElementById("filter");
  var only = d.getElementById("only");
  var count = d.getElementById("count");
  var rank = {no_data: 0, met: 1, at_risk: 2, breached: 3};
  function apply() {
    var q = box ? box.value.trim().toLowerCase() : "";
    var need = only ? only.value : "all";
    var shown = 0;
    sections.forEach(function (sec) {
      var name = (sec.getAttribute("data-account") || "").toLowerCase();
      var worst = sec.getAttribute("data-worst") || "no_data";
      var ok = (!q || name.indexOf(q) >= 0) && (need === "all" || rank[worst] >= rank[need]);
      sec.hidden = !ok;
      var tr = overview[sec.getAttribute("data-i")];
      if (tr) { tr.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + sections.length + " accounts shown"; }
  }
  if (box) { box.addEventListener("input", apply); }
  if (only) { only.addEventListener("change", apply); }
  function setAll(open) {
    sections.forEach(function (sec) { if (!sec.hidden) { sec.open = open; } });
  }
  var ex = d.getElementById("expand"), co = d.getElementById("collapse");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  if (co) { co.addEventListener("click", function () { setAll(false); }); }
  function reveal(id) {
    var el = id && d.getElementById(id);
    if (!el) { return; }
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") { p.open = true; }
    }
    el.scrollIntoView({block: "start"});
  }
  d.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a[href^='#']") : null;
    if (a) {
      ev.preventDefault();
      var id = decodeURIComponent(a.getAttribute("href").slice(1));
      reveal(id);
      if (history.replaceState) { history.replaceState(null, "", "#" + id); }
    }
  });
  window.addEventListener("hashchange", function () { reveal(location.hash.slice(1)); });
  if (location.hash) { reveal(location.hash.slice(1)); }
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = [];
    Array.prototype.forEach.call(d.querySelectorAll("details:not([open])"), function (el) {
      if (!el.closest("[hidden]")) { el.open = true; opened.push(el); }
    });
    d.documentElement.setAttribute("data-printing", String(opened.length));
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
    d.documentElement.removeAttribute("data-printing");
  });
  apply();
  d.documentElement.setAttribute("data-ready", "1");
})();
