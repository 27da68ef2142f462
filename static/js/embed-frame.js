// Inside the embedded discussion: tell the host page how tall the discussion is, so its
// frame fits without a scroll bar, and open the login form in a small window that tells us
// when the reader is in.
(function () {
  "use strict";
  if (window.parent === window) return;

  function reportHeight() {
    var height = document.documentElement.scrollHeight;
    // Only a height: nothing private, so any host may read it.
    window.parent.postMessage({ type: "forum:height", height: height }, "*");
  }
  // The host names the frame with the discussion's title, in the reader's language (the
  // article is public: only allowed sites may frame this page).
  function reportTitle() {
    window.parent.postMessage({ type: "forum:title", title: document.title }, "*");
  }
  window.addEventListener("load", reportHeight);
  window.addEventListener("load", reportTitle);
  if ("ResizeObserver" in window) {
    new ResizeObserver(reportHeight).observe(document.documentElement);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-embed-login]");
    if (!link) return;
    var popup = window.open(link.href, "forum-login", "width=480,height=640");
    if (popup) event.preventDefault();
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) return;
    if (event.data && event.data.type === "forum:signed-in") window.location.reload();
  });
})();
