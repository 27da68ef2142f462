"""Keyboard only: a person who cannot use a mouse logs in and replies to a post with Tab,
typing and Enter, and can always see where the focus is."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.gates.conftest import DEMO_PASSWORDS, HELD_POST

# The browser's own faint focus ring does not count; the site's is a 3px outline.
FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow && style.boxShadow !== "none";
  return {
    visible: outline || Boolean(ring),
    what: element.tagName.toLowerCase() + " " + (element.getAttribute("name") ||
      (element.innerText || "").trim().slice(0, 60)),
  };
}"""
MAX_TABS = 150


def tab_to(page: Page, accessible_name: str | None = None, selector: str | None = None) -> None:
    """Press Tab until the focus is on the element, checking that every stop shows focus."""
    target = page.locator(selector) if selector else page.get_by_role("link", name=accessible_name)
    assert target.count(), f"no {accessible_name or selector} on {page.url}"
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_SHOWN)
        if focus is None:
            continue
        assert focus["visible"], f"the focus on {focus['what']!r} ({page.url}) cannot be seen"
        if target.first.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {accessible_name or selector}")


def test_reply_to_a_post_with_the_keyboard_only(browser, gates_site, crawl):
    # After the crawl, so the new reply is not part of the pages it checks.
    context = browser.new_context(base_url=gates_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in_with_keys(page, *DEMO_PASSWORDS["reader"])

        page.goto("/articles/what-is-nato-for-now")
        tab_to(page, "Reply to Olive Brennan")
        page.keyboard.press("Enter")
        # The reply box opens under the post with the focus in its text box.
        box = page.locator("textarea:focus")
        expect(box).to_be_visible()
        page.keyboard.type("Typed without a mouse: counting things delivered seems fairer.")
        tab_to(page, selector="button:has-text('Post reply')")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        reply = page.get_by_role("article", name="Reply by Rafael Duarte").filter(
            has_text="Typed without a mouse"
        )
        expect(reply).to_be_visible()
    finally:
        context.close()


def log_in_with_keys(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    tab_to(page, selector="input[name=email]")
    page.keyboard.type(email)
    tab_to(page, selector="input[name=password]")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_approve_a_held_post_from_the_queue_with_the_keyboard_only(browser, gates_site, crawl):
    context = browser.new_context(base_url=gates_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in_with_keys(page, *DEMO_PASSWORDS["moderator"])
        page.goto("/moderation/")
        expect(page.get_by_text(HELD_POST)).to_be_visible()
        tab_to(page, selector="button:has-text('Approve the post by Oona Outsider')")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        approved = page.get_by_role("status").filter(has_text="Approved the post by Oona Outsider")
        expect(approved).to_be_visible()
        expect(page.get_by_text(HELD_POST)).to_have_count(0)
    finally:
        context.close()


def test_rsvp_to_a_session_with_the_keyboard_only(browser, gates_site, crawl):
    session_url = next(
        (
            v.url
            for v in crawl.visits
            if v.persona == "member"
            and v.endpoint == "groups.show_session"
            and "rsvp-form" in v.text
        ),
        None,
    )
    assert session_url, "the crawl found no session page with an RSVP form"
    context = browser.new_context(base_url=gates_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in_with_keys(page, *DEMO_PASSWORDS["reader2"])
        page.goto(session_url)
        tab_to(page, selector="select[name=status]")
        # On a closed list box the arrow keys choose the next answer: "Going", then "Maybe".
        page.keyboard.press("ArrowDown")
        tab_to(page, selector="button:has-text('Save my answer')")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        expect(page.locator(".rsvp-status")).to_have_text("You might come.")
    finally:
        context.close()
