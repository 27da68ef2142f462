/* The moderation queue's keyboard shortcuts: j and k move between posts, a approves (or
   keeps) the current post, r opens its reject box with the focus on the reason. Only an
   enhancement: every action is a button that works without it. Keys typed into a field
   are left alone, as are keys pressed with a modifier. */
(function () {
  "use strict";

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  }

  // The post the focus is in, or none yet.
  function currentIndex(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i++) {
      if (list[i] === active || list[i].contains(active)) return i;
    }
    return -1;
  }

  function focusItem(list, index) {
    if (index < 0 || index >= list.length) return;
    list[index].focus();
    list[index].scrollIntoView({ block: "nearest" });
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var list = items();
    if (!list.length) return;
    var index = currentIndex(list);
    var key = event.key;
    if (key === "j") {
      focusItem(list, index + 1);
    } else if (key === "k") {
      focusItem(list, index < 0 ? 0 : index - 1);
    } else if (key === "a" || key === "r") {
      if (index < 0) return;
      var item = list[index];
      if (key === "a") {
        var approve = item.querySelector("[data-shortcut=approve]");
        if (!approve) return;
        approve.click();
      } else {
        var box = item.querySelector("[data-shortcut=reject]");
        if (!box) return;
        box.open = true;
        var reason = box.querySelector("textarea");
        if (reason) reason.focus();
      }
    } else {
      return;
    }
    event.preventDefault();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var help = document.getElementById("queue-shortcuts");
    if (!help || !items().length) return;
    help.hidden = false;
    document.addEventListener("keydown", onKey);
  });
})();
