// Forum's discussion under a blog post. The blog adds, where the discussion should appear:
//   <script src="https://forum.example.org/static/js/embed.js" data-forum-article="SLUG" async></script>
// Counts for an article list: elements with data-forum-count="SLUG" get the number of
// comments, from one request, when the page that has them loads this script.
// Words come from Forum in the blog page's language (its <html lang>) when Forum has it, else
// the reader's; data-forum-title on the script tag names the frame in the blog's own words.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var forum = new URL(script.src).origin;

  function mountDiscussion() {
    var slug = script.getAttribute("data-forum-article");
    if (!slug) return;
    var frame = document.createElement("iframe");
    frame.src = forum + "/embed/articles/" + encodeURIComponent(slug);
    var ownTitle = script.getAttribute("data-forum-title");
    // A frame needs a name at once; until the discussion says its own (translated) title,
    // Forum's host name is the name.
    frame.title = ownTitle || new URL(forum).host;
    frame.className = "forum-discussion";
    frame.setAttribute("loading", "lazy");
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.minHeight = "12rem";
    script.parentNode.insertBefore(frame, script.nextSibling);
    window.addEventListener("message", function (event) {
      if (event.origin !== forum || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.type === "forum:height" && typeof data.height === "number") {
        frame.style.height = Math.ceil(data.height) + "px";
      } else if (data.type === "forum:title" && typeof data.title === "string" && !ownTitle) {
        frame.title = data.title;
      }
    });
  }

  function fillCounts() {
    var slots = document.querySelectorAll("[data-forum-count]");
    if (!slots.length) return;
    var query = Array.prototype.map.call(slots, function (slot) {
      return "slug=" + encodeURIComponent(slot.getAttribute("data-forum-count"));
    });
    var lang = document.documentElement.lang;
    if (lang) query.push("lang=" + encodeURIComponent(lang));
    fetch(forum + "/embed/counts?" + query.join("&"), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : { labels: {} }; })
      .then(function (body) {
        var labels = body.labels || {};
        Array.prototype.forEach.call(slots, function (slot) {
          var label = labels[slot.getAttribute("data-forum-count")];
          if (typeof label === "string") slot.textContent = label;
        });
      })
      .catch(function () { /* the list reads well without counts */ });
  }

  // After the host page: the discussion never delays the article.
  function start() {
    mountDiscussion();
    fillCounts();
  }
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
