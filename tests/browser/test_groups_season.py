"""The season end to end in a real browser: an organiser schedules eight sessions with
readings, a member says they are going and takes the session into their calendar, the
organiser opens the ballot, the member votes and sees the results."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from playwright.sync_api import expect
from sqlalchemy import select

from forum.accounts.models import User
from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import queries, services
from forum.groups.models import GroupSession, MemberRole
from forum.groups.services import add_member, ensure_group
from tests import factories
from tests.browser.test_journeys import expect_status, log_in

GROUP = "/groups/great-decisions-discussion-group"
QUESTIONS = """Should the country take in more climate migrants?
- Yes
- No
- Not sure

[any] What should come first?
- Adaptation funding
- Regional agreements
"""


def test_a_season_from_scheduling_to_the_ballots_results(new_context, app, live_server):
    with app.app_context():
        group = ensure_group("Great Decisions Discussion group")
        group.timezone = "Europe/London"
        add_member(
            None, group, factories.make_user("olga@example.org", "Olga Organiser"), "organiser"
        )
        add_member(None, group, factories.make_user("mia@example.org", "Mia Member"))
        # Four others who will have voted before Mia: with her, enough to show results.
        others = [factories.make_user(f"m{n}@example.org", f"Member {n}") for n in range(4)]
        for person in others:
            add_member(None, group, person, MemberRole.MEMBER)
        factories.make_article("Melting Sea Lanes")
        factories.make_article("Rare Earths")
        db.session.commit()
        other_ids = [person.id for person in others]
    first_day = (utc_now() + timedelta(days=7)).date().isoformat()

    organiser = new_context().new_page()
    log_in(organiser, "olga@example.org")
    organiser.goto(GROUP)
    organiser.get_by_role("link", name="Schedule a season").click()
    organiser.get_by_label("Title").fill("Great Decisions")
    topics = [
        "Climate migration | melting-sea-lanes rare-earths",
        "Critical minerals | rare-earths",
    ] + [f"Topic {n}" for n in range(3, 9)]
    organiser.get_by_label("Topics, one session a line").fill("\n".join(topics))
    organiser.get_by_label("How often").select_option(label="Fortnightly")
    organiser.get_by_label("Date").fill(first_day)
    organiser.get_by_label("Starts at").fill("19:00")
    organiser.get_by_label("Ends at").fill("20:30")
    organiser.get_by_label("Place").fill("Central Library")
    organiser.get_by_role("button", name="Schedule the season").click()
    expect_status(organiser, "The season is scheduled: 8 sessions.")
    expect(organiser.get_by_role("link", name="Great Decisions 8: Topic 8")).to_be_visible()

    member = new_context().new_page()
    log_in(member, "mia@example.org")
    member.goto(GROUP)
    member.get_by_role("link", name="Great Decisions 1: Climate migration").click()
    readings = member.get_by_role("region", name="Readings")
    expect(readings.get_by_role("listitem")).to_have_text(["Melting Sea Lanes", "Rare Earths"])
    member.get_by_label("Are you coming?").select_option(label="Going")
    member.get_by_role("button", name="Save my answer").click()
    expect_status(member, "You are going. See you there!")
    session_url = member.url.split("#")[0]

    href = member.get_by_role("link", name="Add to calendar (.ics)").get_attribute("href")
    download = member.request.get(href)
    assert download.ok and download.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(download.body()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Great Decisions 1: Climate migration"
    assert event.decoded("DTSTART").strftime("%H:%M") == "19:00"
    assert "Melting Sea Lanes" in str(event["DESCRIPTION"])

    # The personal calendar: a secret address carrying the session she is going to.
    member.get_by_role("link", name="Every session I am going to, in my calendar").click()
    member.get_by_role("button", name="Make my calendar address").click()
    address = member.locator(".calendar-address a").get_attribute("href")
    feed = member.context.request.get(address)
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(feed.body()).walk("VEVENT")]
    assert summaries == ["Great Decisions 1: Climate migration"]

    organiser.goto(session_url)
    organiser.get_by_role("link", name="Write a ballot for this session").click()
    organiser.get_by_label("Questions and their choices").fill(QUESTIONS)
    organiser.get_by_role("button", name="Save the ballot").click()
    expect_status(organiser, "The ballot is saved")
    organiser.get_by_role("button", name="Open the ballot for voting").click()
    expect_status(organiser, "The ballot is open")

    with app.app_context():
        session = db.session.scalar(
            select(GroupSession).where(GroupSession.topic == "Climate migration")
        )
        ballot = queries.session_ballot(session)
        for person_id in other_ids:
            person = db.session.get(User, person_id)
            services.respond(person, session, "going")
            first, second = ballot.questions
            services.vote(
                person, ballot, {first.id: [first.choices[1].id], second.id: [second.choices[0].id]}
            )
        db.session.commit()

    member.goto(session_url)
    member.get_by_role("link", name="Vote or see the ballot").click()
    member.get_by_role("group", name="Should the country take in more").get_by_label("Yes").check()
    several = member.get_by_role("group", name="What should come first?")
    several.get_by_label("Adaptation funding").check()
    several.get_by_label("Regional agreements").check()
    member.get_by_role("button", name="Cast my vote").click()
    expect_status(member, "your vote is counted")
    expect(member.get_by_text("You have voted in this ballot.")).to_be_visible()

    results = member.get_by_role("region", name="Should the country take in more climate migrants?")
    expect(results.get_by_role("row", name="No 4 80%")).to_be_visible()
    expect(results.get_by_role("row", name="Yes 1 20%")).to_be_visible()
    expect(results.get_by_role("meter", name="No: 80%")).to_have_attribute("value", "80.0")
    choice = member.get_by_role("region", name="What should come first?")
    expect(choice.get_by_role("row", name="Adaptation funding 5 100%")).to_be_visible()
