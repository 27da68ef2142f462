"""Changing one session or the rest of its season; next season copied from the last."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from forum.core.timefmt import local
from forum.extensions import db
from forum.groups import services
from forum.groups.models import GroupSession
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_session, session_input

NOW = datetime(2030, 2, 1, 12, tzinfo=UTC)


def _season(group, starts_on=date(2030, 3, 7), interval=7):
    factories.make_article("Melting Sea Lanes")
    factories.make_article("Rare Earths")
    plan = [("Arctic", ["melting-sea-lanes"]), ("Minerals", ["rare-earths"]), ("NATO", [])]
    sessions = services.schedule_season(
        None,
        group,
        session_input(title="Great Decisions", starts_on=starts_on, questions_md="- Why?"),
        plan,
        interval,
        now=NOW,
    )
    db.session.commit()
    return sessions


def _local(session):
    return local(session.starts_at, session.timezone)


def test_a_change_to_the_rest_of_the_season_keeps_each_sessions_own_content(group):
    first, second, third = _season(group)
    values = services.session_input_of(second)
    values.starts_on += timedelta(days=1)  # Thursdays become Fridays
    values.starts_at, values.ends_at = time(18, 30), time(20, 0)
    values.place = "Town Hall"
    values.agenda_md = "1. Coffee"
    values.title = "Minerals, moved"
    sequence = third.sequence

    changed = services.edit_season_from(None, second, values, now=NOW)
    db.session.commit()

    assert changed == [second, third]
    assert _local(first).date() == date(2030, 3, 7) and first.place != "Town Hall"
    assert _local(second).date() == date(2030, 3, 15) and second.title == "Minerals, moved"
    # Across the US clock change, still 18:30 London time; its own title, topic and readings.
    assert _local(third).date() == date(2030, 3, 22) and _local(third).time() == time(18, 30)
    assert third.title == "Great Decisions 3: NATO" and third.topic == "NATO"
    assert third.place == "Town Hall" and third.agenda_md == "1. Coffee"
    assert third.questions_md == "- Why?" and third.readings == []
    assert third.sequence == sequence + 1


def test_the_edit_page_offers_the_rest_of_the_season(client, group, organiser):
    first, second, third = _season(group)
    lone = make_session(group, title="A one-off", starts_on=date(2030, 5, 1))
    login(client, organiser)
    assert "Apply the changes to" in client.get(
        f"/groups/{group.slug}/sessions/{first.id}/edit"
    ).get_data(as_text=True)
    for single in (third, lone):
        page = client.get(f"/groups/{group.slug}/sessions/{single.id}/edit")
        assert "Apply the changes to" not in page.get_data(as_text=True)

    path = f"/groups/{group.slug}/sessions/{second.id}/edit"
    data = {
        "title": second.title,
        "topic": second.topic,
        "starts_on": "2030-03-14",
        "starts_at": "18:00",
        "ends_at": "19:30",
        "timezone": "Europe/London",
        "place": "Annexe",
        "readings": "rare-earths",
        "scope": "season",
    }
    response = post_form(client, path, data, path)
    assert response.status_code == 302
    db.session.expire_all()
    assert [s.place for s in (first, second, third)] == [first.place, "Annexe", "Annexe"]
    assert _local(third).time() == time(18, 0)

    data.update(scope="one", place="Back room")
    post_form(client, path, data, path)
    db.session.expire_all()
    assert (second.place, third.place) == ("Back room", "Annexe")


def test_next_season_starts_from_the_last_ones_structure(client, group, organiser):
    sessions = _season(group, interval=14)
    copy = services.copy_last_season(group, now=NOW)
    assert copy.interval_days == 14
    assert copy.first.title == "Great Decisions"
    assert copy.first.starts_on == date(2030, 4, 18)  # a fortnight after the last session
    assert copy.first.starts_at == time(19, 0) and copy.first.place == sessions[0].place
    assert copy.plan.split("\n") == ["Arctic | melting-sea-lanes", "Minerals | rare-earths", "NATO"]
    # Long after the season, the copy starts on the same weekday after today.
    late = services.copy_last_season(group, now=datetime(2031, 1, 1, tzinfo=UTC))
    assert late.first.starts_on == date(2031, 1, 2)

    login(client, organiser)
    page = client.get(f"/groups/{group.slug}/seasons/new").get_data(as_text=True)
    assert "Start from last season" in page
    form = client.get(f"/groups/{group.slug}/seasons/new?copy=last").get_data(as_text=True)
    assert "Arctic | melting-sea-lanes" in form and 'value="2030-04-18"' in form


def test_a_group_without_a_season_has_nothing_to_copy(client, group, organiser):
    make_session(group)
    assert services.copy_last_season(group) is None
    login(client, organiser)
    page = client.get(f"/groups/{group.slug}/seasons/new").get_data(as_text=True)
    assert "Start from last season" not in page
    assert db.session.query(GroupSession).count() == 1
