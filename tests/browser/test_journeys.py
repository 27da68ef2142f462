"""What people do in a real browser, found by role and label as they would find it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from forum.extensions import db
from tests import factories
from tests.browser.conftest import link_in

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds" / "000_a4e27bc5a29d813b.txt"
PASSWORD = factories.PASSWORD
# The seed's three photographs; each caption is shown once, though the page had one twice.
CAPTIONS = (
    "Flags of China and North Korea are seen outside Ryugyong Korean Restaurant in Ningbo",
    "The common defecting route for North Koreans is to cross the northern border to China",
    "A North Korean soldier as she patrols along the banks of the Yalu River",
)


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill the login form on the current page (or open it first) and submit it."""
    if "/auth/login" not in page.url:
        page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def expect_status(page: Page, text: str) -> None:
    """A status message (a flash, a notice) saying ``text`` is shown."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def post_item(page: Page, role_name: str, text: str):
    """The list item holding the post (an <article> named "Comment by …"/"Reply by …")."""
    article = page.get_by_role("article", name=role_name).filter(has_text=text)
    # The items of its ancestors hold it too and come first in document order.
    return page.locator("li.thread-item").filter(has=article).last


def article_of(page: Page, role_name: str, text: str):
    return page.get_by_role("article", name=role_name).filter(has_text=text)


def replies_of(item):
    """The list of direct replies under a post's list item."""
    return item.locator(":scope > ol.replies")


def make_article(app, **values):
    with app.app_context():
        article = factories.make_article(**values)
        return article.slug


def publish_without_review(app) -> None:
    """The site's administrator turns off pre-moderation of newcomers' posts."""
    from forum.moderation.models import Mode
    from forum.moderation.services import update_site_policy

    with app.app_context():
        admin = factories.make_user("admin@example.org", "Ada Admin", role="admin")
        update_site_policy(admin, {"mode": Mode.NONE})
        db.session.commit()


def test_register_verify_and_discuss_in_threads(new_context, app, live_server, smtp_server):
    """Without JavaScript: every step works as plain pages and forms."""
    # A newcomer's posts wait for a moderator by default (test_moderation.py has that
    # journey); this one is about threads, so her posts are published at once.
    publish_without_review(app)
    slug = make_article(app, title="Beijing Signals")
    page = new_context(java_script_enabled=False).new_page()

    page.goto("/auth/register")
    page.get_by_label("Email").fill("nina@example.org")
    page.get_by_label("Display name").fill("Nina New")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect_status(page, "Welcome, Nina New")
    expect_status(page, "confirm your email")

    message = smtp_server.wait_for("nina@example.org")
    page.goto(link_in(message, live_server.url, "/auth/verify/"))
    expect_status(page, "nina@example.org is confirmed")
    expect(page.get_by_role("status").filter(has_text="confirm your email")).to_have_count(0)

    # Registering logged her in; she logs out and back in, as on another day.
    page.get_by_role("button", name="Log out").click()
    expect_status(page, "logged out")
    log_in(page, "nina@example.org")
    expect_status(page, "logged in as Nina New")
    page.goto(f"/articles/{slug}")
    page.get_by_label("Your comment").fill("China is sending a message.")
    page.get_by_role("button", name="Post comment").click()
    expect(article_of(page, "Comment by Nina New", "China is sending a message.")).to_be_visible()

    comment = article_of(page, "Comment by Nina New", "China is sending a message.")
    comment.get_by_role("link", name="Reply to Nina New").click()
    page.get_by_label("Your reply").fill("To whom, though?")
    page.get_by_role("button", name="Post reply").click()
    expect(article_of(page, "Reply by Nina New", "To whom, though?")).to_be_visible()

    first_reply = article_of(page, "Reply by Nina New", "To whom, though?")
    first_reply.get_by_role("link", name="Reply to Nina New").click()
    page.get_by_label("Your reply").fill("To Pyongyang, mostly.")
    page.get_by_role("button", name="Post reply").click()
    expect(article_of(page, "Reply by Nina New", "To Pyongyang, mostly.")).to_be_visible()

    first_reply = article_of(page, "Reply by Nina New", "To whom, though?")
    first_reply.get_by_role("link", name="Edit this post").click()
    page.get_by_label("Your post").fill("To whom, though? Seoul, or Washington?")
    page.get_by_role("button", name="Save changes").click()
    expect_status(page, "Your changes are saved.")

    page.goto(f"/articles/{slug}")
    comment_item = post_item(page, "Comment by Nina New", "China is sending a message.")
    reply_item = (
        replies_of(comment_item)
        .locator(":scope > li.thread-item")
        .filter(has=article_of(page, "Reply by Nina New", "Seoul, or Washington?"))
    )
    expect(reply_item).to_have_count(1)
    expect(replies_of(reply_item).get_by_role("article", name="Reply by Nina New")).to_contain_text(
        "To Pyongyang, mostly."
    )
    edited = article_of(page, "Reply by Nina New", "Seoul, or Washington?")
    expect(edited.get_by_role("link", name="edited")).to_be_visible()
    # Only the reply that was edited says so.
    comment = article_of(page, "Comment by Nina New", "China is sending a message.")
    expect(comment.get_by_role("link", name="edited")).to_have_count(0)


def test_anonymous_reader_logs_in_to_reply_and_returns(page, app, live_server):
    with app.app_context():
        factories.make_user("rita@example.org", "Rita Reader")
        otto = factories.make_user("otto@example.org", "Otto Other")
        article = factories.make_article("Arctic Shipping Lanes")
        factories.make_post(factories.public_discussion(article), otto, "Ice is the real border.")
        slug = article.slug

    page.goto("/articles/")
    page.get_by_role("link", name="Arctic Shipping Lanes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Arctic Shipping Lanes")
    expect(article_of(page, "Comment by Otto Other", "Ice is the real border.")).to_be_visible()
    expect(page.get_by_label("Your comment")).to_have_count(0)

    page.get_by_role("link", name="Log in to reply").click()
    log_in(page, "rita@example.org")

    expect(page).to_have_url(f"{live_server.url}/articles/{slug}#discussion")
    expect(page.get_by_label("Your comment")).to_be_visible()
    expect(page.get_by_role("link", name="Reply to Otto Other")).to_be_visible()


def test_the_seed_article_reads_as_published(page, app, live_server):
    if not SEED.exists():
        pytest.skip(f"the seed document is not at {SEED}")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["import", str(SEED)])
    assert result.exit_code == 0, result.output

    page.goto("/articles/")
    page.get_by_role("link", name="Beijing Signals Through North Korean Defectors").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Beijing Signals Through North Korean Defectors"
    )
    article = page.get_by_role("article").first
    expect(article.locator(".byline")).to_contain_text("Wenjun Zeng")
    expect(article.get_by_role("figure")).to_have_count(len(CAPTIONS))
    for caption in CAPTIONS:
        expect(page.get_by_text(caption)).to_have_count(1)
    expect(page.get_by_role("heading", name="To read more on this topic")).to_be_visible()
    page.get_by_role("link", name="Great Decisions Discussion group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Great Decisions Discussion group")


def test_inline_reply_and_voting_without_leaving_the_page(page, app, live_server):
    with app.app_context():
        factories.make_user("rita@example.org", "Rita Reader")
        otto = factories.make_user("otto@example.org", "Otto Other")
        article = factories.make_article("Critical Minerals")
        factories.make_post(factories.public_discussion(article), otto, "Supply chains are policy.")
        slug = article.slug

    log_in(page, "rita@example.org")
    expect_status(page, "logged in as Rita Reader")
    page.goto(f"/articles/{slug}")
    # A full page load would wipe this; a script-driven change leaves it.
    page.evaluate("window.stillTheSamePage = true")

    comment = article_of(page, "Comment by Otto Other", "Supply chains are policy.")
    expect(comment.locator(".vote-count")).to_have_text("0")
    comment.get_by_role("button", name="Upvote").click()
    expect(comment.locator(".vote-count")).to_have_text("1")
    expect(comment.get_by_role("button", name="Upvoted")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stillTheSamePage") is True

    comment.get_by_role("link", name="Reply to Otto Other").click()
    reply_box = page.get_by_label("Your reply")
    expect(reply_box).to_be_focused()
    assert page.url.endswith(f"/articles/{slug}")
    assert page.evaluate("window.stillTheSamePage") is True

    reply_box.fill("And supply chains are slow.")
    page.get_by_role("button", name="Post reply").click()
    comment_item = post_item(page, "Comment by Otto Other", "Supply chains are policy.")
    expect(
        replies_of(comment_item).get_by_role("article", name="Reply by Rita Reader")
    ).to_contain_text("And supply chains are slow.")
    # The vote was kept on the server, not only shown.
    expect(comment.locator(".vote-count")).to_have_text("1")
