"""A French reader gets the groups' pages, their forms' errors and their messages in French,
while what people wrote (names, titles, places) stays as they wrote it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.core.db import utc_now
from forum.groups.models import MemberRole
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
