/* Forum: small enhancements. Every action here also works without JavaScript:
   reply links lead to a reply page, vote forms post and reload, forms submit normally. */
(function () {
  "use strict";

  // Long enough to swallow a double click or an impatient second press, short enough that
  // a slow network does not leave the user stuck.
  var RESUBMIT_DELAY_MS = 4000;

  function isPlainClick(event) {
    return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
  }

  /* Inline reply boxes --------------------------------------------------------------- */

  function replyBoxFor(link) {
    var id = link.getAttribute("aria-controls");
    return id ? document.getElementById(id) : null;
  }

  // The fetched form's ids would clash with the page's own forms (two "body" fields), so
  // each id gets the post's id appended and the labels follow.
  function makeIdsUnique(form, suffix) {
    var renamed = {};
    form.querySelectorAll("[id]").forEach(function (element) {
      var fresh = element.id + "-" + suffix;
      renamed[element.id] = fresh;
      element.id = fresh;
    });
    form.querySelectorAll("label[for]").forEach(function (label) {
      var target = renamed[label.htmlFor];
      if (target) label.htmlFor = target;
    });
    form.querySelectorAll("[aria-describedby], [aria-labelledby]").forEach(function (element) {
      ["aria-describedby", "aria-labelledby"].forEach(function (name) {
        var value = element.getAttribute(name);
        if (!value) return;
        element.setAttribute(
          name,
          value
            .split(/\s+/)
            .map(function (ref) { return renamed[ref] || ref; })
            .join(" ")
        );
      });
    });
  }

  function closeReplyBox(link, box) {
    box.remove();
    link.setAttribute("aria-expanded", "false");
    link.removeAttribute("aria-controls");
    link.focus();
  }

  function openReplyBox(link) {
    var href = link.href;
    var postId = link.getAttribute("data-post-id") || "new";
    var post = link.closest(".post");
    var anchor = (post && post.querySelector(".post-actions")) || link.closest(".post-actions") || link;

    link.setAttribute("aria-busy", "true");
    fetch(href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("reply page answered " + response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var form = page.querySelector("form.reply-form");
        if (!form) throw new Error("no reply form on the reply page");
        // A form posting to "its own page" must still post to the reply page, not this one.
        if (!form.getAttribute("action")) form.setAttribute("action", href);
        form = document.importNode(form, true);
        makeIdsUnique(form, postId);

        var box = document.createElement("div");
        box.className = "inline-reply";
        box.id = "inline-reply-" + postId;

        // The reply page's own "Cancel" link would leave this page; here a button with its
        // words (in the reader's language) closes the box instead. Without one, the reply
        // link itself closes it.
        var actions = form.querySelector(".form-actions");
        var cancelLink = actions && actions.querySelector("a");
        if (cancelLink) {
          var cancel = document.createElement("button");
          cancel.type = "button";
          cancel.className = "small-button button-secondary";
          cancel.textContent = cancelLink.textContent;
          cancel.addEventListener("click", function () { closeReplyBox(link, box); });
          cancelLink.replaceWith(cancel);
        }

        box.appendChild(form);
        anchor.after(box);
        link.setAttribute("aria-controls", box.id);
        link.setAttribute("aria-expanded", "true");
        var field = form.querySelector("textarea") || form.querySelector("input:not([type=hidden])");
        if (field) field.focus();
      })
      .catch(function () {
        // Whatever went wrong, the reply page itself still works.
        window.location.assign(href);
      })
      .finally(function () {
        link.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.reply-link");
    if (!link || !isPlainClick(event) || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    if (link.getAttribute("aria-busy") === "true") return;
    var box = replyBoxFor(link);
    if (box) {
      closeReplyBox(link, box);
    } else {
      openReplyBox(link);
    }
  });

  /* Voting without a reload ------------------------------------------------------------ */

  function formDataOf(form, submitter) {
    try {
      return new FormData(form, submitter || undefined);
    } catch (error) {
      // Older browsers take no submitter; the button's own name/value then goes along by hand.
      var data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      return data;
    }
  }

  // The server words the button by its state ("Upvote" / "Upvoted", in the reader's
  // language); a reload would show the other word, so the page shows it now too. The words
  // come from the page (data-label-upvote and data-label-upvoted on the button or around it).
  function voteWord(button, voted) {
    var name = voted ? "data-label-upvoted" : "data-label-upvote";
    var holder = button.closest("[" + name + "]");
    return holder ? holder.getAttribute(name) : null;
  }

  function showVote(button, count, score, voted) {
    if (count) count.textContent = String(score);
    if (!button) return;
    var wasPressed = button.getAttribute("aria-pressed") === "true";
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    var word = voteWord(button, voted);
    if (wasPressed !== voted && word) button.textContent = word;
  }

  function submitVote(form, submitter) {
    var button = submitter || form.querySelector("button[aria-pressed], button[type=submit], button");
    var count = form.querySelector(".vote-count") ||
      (form.parentElement && form.parentElement.querySelector(".vote-count"));
    var data = formDataOf(form, submitter);
    form.setAttribute("data-busy", "true");
    if (button) button.disabled = true;

    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("vote answered " + response.status);
        }
        return response.json();
      })
      .then(function (result) {
        if (typeof result.score !== "number") throw new Error("vote answer without a score");
        showVote(button, count, result.score, Boolean(result.voted));
        form.removeAttribute("data-busy");
        if (button) button.disabled = false;
      })
      .catch(function () {
        // Not signed in, a lapsed session, a server error: let the page handle it as without
        // JavaScript (a login page, an error page, or the vote done with a reload).
        // form.submit() fires no submit event, so this does not loop back here.
        form.removeAttribute("data-busy");
        if (button) button.disabled = false;
        if (submitter && submitter.name) {
          var carried = document.createElement("input");
          carried.type = "hidden";
          carried.name = submitter.name;
          carried.value = submitter.value;
          form.appendChild(carried);
        }
        form.submit();
      });
  }

  /* Submitting forms ------------------------------------------------------------------ */

  function submitButtons(form) {
    var inside = Array.prototype.slice.call(
      form.querySelectorAll("button:not([type=button]):not([type=reset]), input[type=submit]")
    );
    var outside = form.id
      ? Array.prototype.slice.call(document.querySelectorAll("[form='" + form.id + "']"))
      : [];
    return inside.concat(outside);
  }

  function setSubmitting(form, on) {
    if (on) {
      form.setAttribute("data-submitting", "true");
    } else {
      form.removeAttribute("data-submitting");
    }
    submitButtons(form).forEach(function (button) {
      button.disabled = on;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;

    if (form.classList.contains("vote-form") && window.fetch && window.FormData) {
      event.preventDefault();
      if (form.getAttribute("data-busy") !== "true") submitVote(form, event.submitter);
      return;
    }

    // A second press while the first is on its way would post twice.
    if (form.getAttribute("data-submitting") === "true") {
      event.preventDefault();
      return;
    }
    // Disabling the pressed button now would drop its name/value from what is sent, so the
    // buttons are disabled just after the browser has collected the form's data.
    form.setAttribute("data-submitting", "true");
    window.setTimeout(function () { setSubmitting(form, true); }, 0);
    window.setTimeout(function () { setSubmitting(form, false); }, RESUBMIT_DELAY_MS);
  });

  // Back/forward cache: a page restored after submitting must not keep its buttons disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      setSubmitting(form, false);
    });
  });
})();
