"""A season in a real browser: an organiser schedules it, a member says they are going and
takes the session into their calendar."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from playwright.sync_api import expect

from forum.core.db import utc_now
from forum.extensions import db
from forum.groups.models import MemberRole
from forum.groups.services import add_member, ensure_group
from tests import factories
from tests.browser.test_journeys import expect_status, log_in


def test_an_organiser_schedules_a_season_and_a_member_rsvps(new_context, app, live_server):
    with app.app_context():
        group = ensure_group("Great Decisions Discussion group")
        group.timezone = "Europe/London"
        organiser = factories.make_user("olga@example.org", "Olga Organiser")
        member = factories.make_user("mia@example.org", "Mia Member")
        add_member(None, group, organiser, MemberRole.ORGANISER)
        add_member(None, group, member)
        factories.make_article("Melting Sea Lanes")
        db.session.commit()
    first_day = (utc_now() + timedelta(days=7)).date().isoformat()

    page = new_context().new_page()
    log_in(page, "olga@example.org")
    page.goto("/groups/great-decisions-discussion-group")
    page.get_by_role("link", name="Schedule a season").click()
    page.get_by_label("Title").fill("Great Decisions")
    topics = ["Climate migration | melting-sea-lanes"] + [f"Topic {n}" for n in range(2, 9)]
    page.get_by_label("Topics, one session a line").fill("\n".join(topics))
    page.get_by_label("How often").select_option(label="Weekly")
    page.get_by_label("Date").fill(first_day)
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_label("Ends at").fill("20:30")
    page.get_by_label("Place").fill("Central Library")
    page.get_by_label("Seats (empty for no limit)").fill("12")
    page.get_by_label("Facilitator").select_option(label="Mia Member")
    page.get_by_role("button", name="Schedule the season").click()
    expect_status(page, "The season is scheduled: 8 sessions.")
    expect(page.get_by_role("link", name="Great Decisions 8: Topic 8")).to_be_visible()

    page = new_context().new_page()
    log_in(page, "mia@example.org")
    page.goto("/groups/great-decisions-discussion-group")
    page.get_by_role("link", name="Great Decisions 1: Climate migration").click()
    expect(page.get_by_role("link", name="Melting Sea Lanes")).to_be_visible()
    expect(page.get_by_text("0 of 12 seats")).to_be_visible()
    page.get_by_label("Are you coming?").select_option(label="Going")
    page.get_by_role("button", name="Save my answer").click()
    expect_status(page, "You are going. See you there!")
    expect(page.get_by_text("1 of 12 seats")).to_be_visible()

    href = page.get_by_role("link", name="Add to calendar (.ics)").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Great Decisions 1: Climate migration"
    assert event.decoded("DTSTART").strftime("%H:%M") == "19:00"
