"""A French reader gets the groups' pages, their forms' errors and their messages in French,
while what people wrote (names, titles, places) stays as they wrote it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.core.db import utc_now
from forum.core.mail import OutboxMessage
from forum.extensions import db
from forum.groups.models import MemberRole
from forum.notifications.models import Kind, Notification
from forum.notifications.services import set_email_preference
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_membership, make_session

SLUG = "great-decisions-discussion-group"


@pytest.fixture
def french(client):
    """Every request of this client says its browser prefers French."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9,en;q=0.5"
    return client


def test_the_group_page_reads_in_french(french, group, organiser, member):
    make_session(group, starts_on=(utc_now() + timedelta(days=5)).date())

    html = french.get(f"/groups/{SLUG}").get_data(as_text=True)

    assert 'lang="fr"' in html
    assert "2 membres" in html
    assert "Prochaines séances" in html and "Organisateurs et modérateurs" in html
    assert "Connectez-vous pour rejoindre le groupe" in html
    assert "Fuseau horaire" in html and "Autre" in html  # the venue's label
    assert '<span class="badge">organisateur</span>' in html
    # What the organiser wrote is not translated.
    assert "We meet on Thursdays." in html and "Climate migration" in html
    assert "Upcoming sessions" not in html


def test_a_session_page_reads_in_french(french, group, member):
    session = make_session(group, starts_on=(utc_now() + timedelta(days=5)).date(), capacity=12)

    login(french, member)
    html = french.get(f"/groups/{SLUG}/sessions/{session.id}").get_data(as_text=True)

    assert "0 sur 12 places" in html
    assert "Ajouter à l’agenda (.ics)" in html
    assert "Venez-vous ?" in html and "Je viens" in html and "Enregistrer ma réponse" in html
    assert "Central Library, Room 2" in html
    assert "Save my answer" not in html


def test_the_rsvp_flow_answers_in_french(french, group, member):
    session = make_session(group, starts_on=(utc_now() + timedelta(days=5)).date(), capacity=1)
    page = f"/groups/{SLUG}/sessions/{session.id}"
    taken = factories.make_user("first@example.org", "First Comer")
    make_membership(group, taken)
    login(french, taken)
    post_form(french, f"{page}/rsvp", {"status": "going"}, page=page)
    french.get("/auth/logout")

    login(french, member)
    response = post_form(french, f"{page}/rsvp", {"status": "going"}, page=page)
    html = french.get(response.headers["Location"]).get_data(as_text=True)

    assert "La séance est complète : vous êtes en liste d’attente" in html
    assert "Vous êtes en liste d’attente." in html


def test_a_session_forms_errors_are_in_french_and_keep_the_text(french, group, admin):
    make_membership(group, admin, MemberRole.ORGANISER)
    login(french, admin)
    url = f"/groups/{SLUG}/sessions/new"
    response = post_form(
        french,
        url,
        {
            "title": "Réunion de printemps",
            "starts_on": "2030-03-07",
            "starts_at": "21:00",
            "ends_at": "19:00",
            "timezone": "Europe/Paris",
            "online_url": "",
        },
        page=url,
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "La séance doit finir après son début." in html
    assert "Réunion de printemps" in html
    assert "Programmer la séance" in html
    # A field left empty gets WTForms' own French.
    response = post_form(french, url, {"title": "", "timezone": "Europe/Paris"}, page=url)
    assert "Ce champ est requis." in response.get_data(as_text=True)


def test_session_news_is_written_in_each_members_language(french, group, organiser, member):
    """A French organiser schedules a session from a French page: each member's line and
    email speak the member's own language, not the organiser's."""
    francophone = factories.make_user("fr@example.org", "Fanny Français")
    francophone.language = "fr"
    make_membership(group, francophone)
    for person in (member, francophone):
        set_email_preference(person, person, Kind.SESSION_SCHEDULED, True)
    db.session.commit()
    login(french, organiser)
    url = f"/groups/{SLUG}/sessions/new"
    fields = {"title": "Climate migration", "starts_on": "2030-03-07", "starts_at": "19:00"}
    fields |= {"ends_at": "21:00", "timezone": "UTC", "place": "Central Library"}
    assert post_form(french, url, fields, page=url).status_code == 302

    def line(person):
        return db.session.scalar(
            select(Notification.detail).where(Notification.user_id == person.id)
        )

    def email(person):
        query = select(OutboxMessage.text_body).where(OutboxMessage.user_id == person.id)
        return db.session.scalar(query)

    assert line(member).startswith("New session of Great Decisions Discussion group")
    assert "Thursday 7 March 2030, 19:00 UTC" in line(member)
    assert "Thursday 7 March 2030, 19:00 UTC" in email(member)
    assert line(francophone).startswith("Nouvelle séance de Great Decisions Discussion group")
    assert "jeudi 7 mars 2030, 19:00 UTC" in line(francophone)
    assert "jeudi 7 mars 2030, 19:00 UTC" in email(francophone)
