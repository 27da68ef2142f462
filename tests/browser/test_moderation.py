"""Moderation in a real browser: a held post approved from the queue, a post hidden by flags
and restored, and a bulk rejection."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from forum.discussions.models import PostState
from tests import factories

PASSWORD = factories.PASSWORD


def log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status").filter(has_text="logged in as")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status").filter(has_text="logged out")).to_be_visible()


def test_a_newcomers_post_is_held_then_approved_from_the_queue(page, app, live_server):
    with app.app_context():
        factories.make_user("nell@example.org", "Nell Newcomer")
        factories.make_user("mo@example.org", "Mo Moderator", role="moderator")
        slug = factories.make_article("Arctic Shipping Lanes").slug

    log_in(page, "nell@example.org")
    expect(page.get_by_role("link", name="Moderation")).to_have_count(0)
    page.goto(f"/articles/{slug}")
    page.get_by_label("Your comment").fill("The ice is the real border here.")
    page.get_by_role("button", name="Post comment").click()
    comment = page.get_by_role("article", name="Comment by Nell Newcomer")
    expect(comment).to_contain_text("Awaiting review")
    log_out(page)

    page.goto(f"/articles/{slug}")
    expect(page.get_by_text("The ice is the real border here.")).to_have_count(0)

    log_in(page, "mo@example.org")
    page.get_by_role("link", name="Moderation").click()
    item = page.get_by_role("article", name="Post by Nell Newcomer")
    expect(item).to_contain_text("The ice is the real border here.")
    expect(item).to_contain_text("new user")
    item.get_by_role("button", name="Approve the post by Nell Newcomer").click()
    expect(page.get_by_role("status").filter(has_text="Approved the post")).to_be_visible()
    expect(page.get_by_text("Nothing here")).to_be_visible()
    log_out(page)

    page.goto(f"/articles/{slug}")
    comment = page.get_by_role("article", name="Comment by Nell Newcomer")
    expect(comment).to_contain_text("The ice is the real border here.")
    expect(comment).not_to_contain_text("Awaiting review")


def test_three_flags_hide_a_post_and_a_moderator_restores_it(page, app, live_server):
    with app.app_context():
        author = factories.make_user("otto@example.org", "Otto Other")
        for n in range(3):
            factories.make_user(f"flagger{n}@example.org", f"Flagger {n}")
        factories.make_user("mo@example.org", "Mo Moderator", role="moderator")
        article = factories.make_article("Critical Minerals")
        factories.make_post(factories.public_discussion(article), author, "Rude remark.")
        slug = article.slug

    for n in range(3):
        log_in(page, f"flagger{n}@example.org")
        page.goto(f"/articles/{slug}")
        comment = page.get_by_role("article", name="Comment by Otto Other")
        comment.get_by_role("link", name="Flag this post").click()
        page.get_by_label("Abusive or uncivil").check()
        page.get_by_role("button", name="Flag this post").click()
        expect(page.get_by_role("status").filter(has_text="Thank you")).to_be_visible()
        if n < 2:
            expect(page.get_by_text("You flagged this post")).to_be_visible()
        log_out(page)

    page.goto(f"/articles/{slug}")
    expect(page.get_by_text("Rude remark.")).to_have_count(0)

    log_in(page, "mo@example.org")
    page.goto("/moderation/?tab=flagged")
    item = page.get_by_role("article", name="Post by Otto Other")
    expect(item).to_contain_text("flags ×3")
    item.get_by_role("button", name="Approve the post by Otto Other").click()
    expect(page.get_by_role("status").filter(has_text="Approved the post")).to_be_visible()
    log_out(page)
    page.goto(f"/articles/{slug}")
    expect(page.get_by_text("Rude remark.")).to_be_visible()


def test_bulk_reject_from_the_queue(page, app, live_server):
    with app.app_context():
        spammer = factories.make_user("spam@example.org", "Sam Spammer")
        factories.make_user("mo@example.org", "Mo Moderator", role="moderator")
        discussion = factories.public_discussion(factories.make_article("NATO Now"))
        posts = [
            factories.make_post(discussion, spammer, f"Buy now {n}", state=PostState.PENDING)
            for n in range(3)
        ]
        ids = [post.id for post in posts]

    log_in(page, "mo@example.org")
    page.goto("/moderation/")
    for checkbox in page.get_by_label("Select the post by Sam Spammer").all():
        checkbox.check()
    page.get_by_label("Reason for rejecting (the authors are told)").fill("Advertising")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.get_by_role("status").filter(has_text="Rejected 3 posts")).to_be_visible()
    expect(page.get_by_text("Nothing here")).to_be_visible()
    page.goto("/moderation/?tab=rejected")
    expect(page.get_by_role("article", name="Post by Sam Spammer")).to_have_count(len(ids))


def test_the_queue_answers_its_keyboard_shortcuts_but_not_inside_a_field(page, app, live_server):
    with app.app_context():
        factories.make_user("mo@example.org", "Mo Moderator", role="moderator")
        discussion = factories.public_discussion(factories.make_article("Water and Conflict"))
        for n, name in enumerate(("Kim First", "Lee Second")):
            author = factories.make_user(f"held{n}@example.org", name)
            factories.make_post(
                discussion,
                author,
                f"Held words {n}",
                state=PostState.PENDING,
                hold_reasons="new user",
            )

    log_in(page, "mo@example.org")
    page.goto("/moderation/")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    first = page.get_by_role("article", name="Post by Kim First")
    second = page.get_by_role("article", name="Post by Lee Second")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    # Typing in a field is typing: "a" and "j" land in the reason, and nothing is approved.
    page.keyboard.press("r")
    reason = first.get_by_label("Reason (the author is told)")
    expect(reason).to_be_focused()
    page.keyboard.type("ja")
    expect(reason).to_have_value("ja")
    expect(second).to_be_visible()
    # Out of the field (on the reject button), j moves on and a approves the post it reaches.
    page.keyboard.press("Tab")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(
        page.get_by_role("status").filter(has_text="Approved the post by Lee Second")
    ).to_be_visible()
    expect(page.get_by_role("article", name="Post by Lee Second")).to_have_count(0)
    expect(page.get_by_role("article", name="Post by Kim First")).to_be_visible()
