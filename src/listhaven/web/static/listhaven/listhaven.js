// Listhaven: small progressive enhancements. Every page works without this file.
//  - keys: n/p follow the links marked data-key="n"/"p" (next/previous), j/k move between the
//    messages of a thread page (elsewhere they follow data-key="j"/"k"), "/" focuses search;
//  - thread pages: "Collapse all" / "Expand all" buttons;
//  - the moderators' bulk tables: a box in the heading that selects every row of the page.
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function threadItems() {
    return Array.prototype.slice.call(document.querySelectorAll("ol.thread > li"));
  }

  function moveInThread(step) {
    var items = threadItems();
    if (!items.length) return false;
    var current = items.indexOf(document.activeElement && document.activeElement.closest("ol.thread > li"));
    if (current === -1) {
      // start from the first message at or below the top of the window
      current = step > 0 ? -1 : items.length;
      for (var i = 0; i < items.length; i++) {
        if (items[i].getBoundingClientRect().top >= 0) { current = step > 0 ? i - 1 : i; break; }
      }
    }
    var next = items[Math.max(0, Math.min(items.length - 1, current + step))];
    next.focus();
    next.scrollIntoView({ block: "start" });
    return true;
  }

  function followKey(key) {
    var link = document.querySelector('a[data-key="' + key + '"]');
    if (!link) return false;
    window.location.href = link.href;
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = event.key;
    var handled = false;
    if (key === "/") {
      var search = document.getElementById("site-q");
      if (search) { search.focus(); handled = true; }
    } else if ((key === "j" || key === "k") && threadItems().length) {
      handled = moveInThread(key === "j" ? 1 : -1);
    } else if (key === "n" || key === "p" || key === "j" || key === "k") {
      handled = followKey(key);
    }
    if (handled) event.preventDefault();
  });

  function addThreadTools() {
    var tools = document.querySelector("[data-thread-tools]");
    if (!tools) return;
    var make = function (label, open) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "quiet";
      button.textContent = label;
      button.addEventListener("click", function () {
        document.querySelectorAll("ol.thread > li > details").forEach(function (d) { d.open = open; });
      });
      return button;
    };
    tools.appendChild(make("Collapse all", false));
    tools.appendChild(make("Expand all", true));
    tools.hidden = false;
  }

  function addSelectAll() {
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      var table = all.closest("table");
      var rows = function () { return table.querySelectorAll("tbody input[type=checkbox]"); };
      all.hidden = false;
      all.addEventListener("change", function () {
        rows().forEach(function (box) { box.checked = all.checked; });
      });
      table.addEventListener("change", function (event) {
        if (event.target === all) return;
        var boxes = Array.prototype.slice.call(rows());
        all.checked = boxes.length > 0 && boxes.every(function (box) { return box.checked; });
      });
    });
  }

  function enhance() {
    addThreadTools();
    addSelectAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
