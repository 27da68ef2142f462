// The login popup's last page: tell the embedded discussion that opened it, then close.
(function () {
  "use strict";
  var opener = window.opener;
  if (!opener) return;
  try {
    opener.postMessage({ type: "forum:signed-in" }, window.location.origin);
    window.close();
  } catch (error) {
    // The opener went away: the page itself says what to do.
  }
})();
