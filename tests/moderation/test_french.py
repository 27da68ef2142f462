"""Moderation reads in French for a French browser: the queue, the flag page with its errors
and flash, and the refusals a suspended member meets. What people wrote stays as written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forum.core.db import utc_now
from forum.extensions import db
from forum.moderation import services
from tests import factories
from tests.conftest import csrf_token, login, post_form
from tests.moderation.conftest import make_pending

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


@pytest.fixture
def flagged(discussion, reader, other_reader):
    post = factories.make_post(discussion, other_reader, "Une opinion <b>tranchée</b>.")
    services.flag_post(reader, post, "abuse", "Il insulte les lecteurs.")
    db.session.commit()
    return post


def test_a_french_moderator_reads_the_queue_in_french(client, moderator, discussion, flagged):
    make_pending(discussion, factories.make_user("new@example.org", "Nina Nouvelle"), "Bonjour")
    login(client, moderator)

    pending = client.get("/moderation/", headers=FRENCH).get_data(as_text=True)
    assert "<h1>File de modération</h1>" in pending
    assert "En attente" in pending and "Signalés" in pending and "Approuvés récemment" in pending
    assert ">Refusés <span" in pending
    assert "Raccourcis clavier" in pending and "message suivant" in pending
    assert "Approuver la sélection" in pending
    assert "Moderation queue" not in pending and "Keyboard shortcuts" not in pending

    page = client.get("/moderation/?tab=flagged", headers=FRENCH).get_data(as_text=True)
    # The reason's label is translated, the reader's note and the post are not.
    assert "Injurieux ou incivil" in page and "Il insulte les lecteurs." in page
    assert "Signalements (1 en attente)" in page
    assert "Conserver" in page and "Refuser avec ce motif" in page
    # The author's history: each count agrees with its number.
    assert "1 publié," in page and "0 refusé," in page and "0 en attente" in page
    assert "<b>tranchée</b>" not in page

    # The flash after an action is French too.
    token = csrf_token(client, "/moderation/")
    client.post(
        f"/moderation/posts/{flagged.id}/approve",
        data={"csrf_token": token},
        headers=FRENCH,
    )
    after = client.get("/moderation/?tab=flagged", headers=FRENCH).get_data(as_text=True)
    assert f"Le message de {flagged.author.display_name} est approuvé." in after
    assert "Rien ici : aucun message n’est signalé." in after


def test_a_french_reader_flags_a_post_in_french(client, reader, discussion, other_reader):
    post = factories.make_post(discussion, other_reader, "Achetez mes montres.")
    login(client, reader)
    url = f"/posts/{post.id}/flag"

    page = client.get(url, headers=FRENCH).get_data(as_text=True)
    assert "Signaler ce message aux modérateurs" in page
    assert "Pourquoi signalez-vous ce message ?" in page
    assert "Injurieux ou incivil" in page and "Hors sujet" in page and "Autre chose" in page

    refused = post_form(client, url, {"note": "Rien"}, page=url, headers=FRENCH)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Indiquez pourquoi vous signalez ce message." in text
    assert "Rien" in text  # the note is kept

    other = post_form(client, url, {"reason": "other", "note": ""}, page=url, headers=FRENCH)
    assert "Dites ce qui ne va pas dans ce message." in other.get_data(as_text=True)

    done = post_form(
        client, url, {"reason": "spam"}, page=url, headers=FRENCH, follow_redirects=True
    )
    thread = done.get_data(as_text=True)
    assert "Merci : les modérateurs examineront le message que vous avez signalé." in thread


def test_a_suspended_french_member_is_refused_in_french(
    client, moderator, reader, article, discussion, other_reader
):
    post = factories.make_post(discussion, other_reader, "À débattre.")
    login(client, reader)
    until = datetime(utc_now().year + 1, 12, 2, 23, 59, tzinfo=UTC)
    services.suspend_user(moderator, reader, until, "Attaques personnelles")
    db.session.commit()

    page = client.get(f"/articles/{article.slug}", headers=FRENCH).get_data(as_text=True)
    refusal = (
        f"Votre compte est suspendu jusqu’au 02 décembre {until.year}, 23:59 UTC : "
        "vous ne pouvez ni publier, ni voter, ni signaler."
    )
    assert refusal in page
    assert "Motif : Attaques personnelles" in page  # the moderator's reason, as written
    assert "Vous pouvez toujours tout lire." in page

    posted = post_form(
        client, f"/discussions/{discussion.id}/posts", {"body": "Laissez-moi"}, headers=FRENCH
    )
    assert posted.status_code == 403
    assert refusal in posted.get_data(as_text=True)

    flag = client.get(f"/posts/{post.id}/flag", headers=FRENCH)
    assert flag.status_code == 403
    assert refusal in flag.get_data(as_text=True)

    # The same refusal reads in English for an English browser.
    english = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert f"Your account is suspended until 02 December {until.year}, 23:59 UTC" in english


def test_the_reasons_a_post_was_held_are_named_in_french(client, moderator, discussion, reader):
    services.flag_post(
        moderator, factories.make_post(discussion, reader, "Trop fort."), "off_topic"
    )
    make_pending(discussion, reader, "Voir www.example.org", hold_reasons="new user\nflags ×3")
    make_pending(discussion, reader, "Un mot", hold_reasons="suspect word “casino”\nsomething old")
    db.session.commit()
    login(client, moderator)

    page = client.get("/moderation/", headers=FRENCH).get_data(as_text=True)
    assert '<li class="badge">signalement d’un modérateur : hors sujet</li>' in page
    assert '<li class="badge">nouveau membre</li>' in page
    assert '<li class="badge">signalements ×3</li>' in page
    assert '<li class="badge">mot suspect “casino”</li>' in page
    # A reason the site does not write any more is shown as it was stored.
    assert '<li class="badge">something old</li>' in page
    english = client.get("/moderation/").get_data(as_text=True)
    assert '<li class="badge">moderator flag: off topic</li>' in english


def test_every_moderation_page_reads_in_french(
    client, admin, discussion, group, reader, other_reader
):
    held = make_pending(discussion, reader, "En attente")
    published = factories.make_post(discussion, other_reader, "Publié")
    warning = services.warn_author(admin, published, "Restez courtois.")
    services.ban_from_group(admin, reader, group, "Trop de digressions")
    db.session.commit()
    login(client, admin)

    pages = {
        "/moderation/log": "Journal de modération",
        "/moderation/policy": "Politique de modération",
        f"/moderation/groups/{group.id}/policy": f"Personnes bannies de {group.name}",
        f"/moderation/posts/{held.id}/reject": "Refuser ce message ?",
        f"/moderation/posts/{held.id}/edit": "Modifier et approuver",
        f"/moderation/posts/{published.id}/warn": f"Avertir {other_reader.display_name}",
        f"/moderation/users/{reader.id}/suspend": f"Suspendre {reader.display_name}",
        f"/moderation/users/{reader.id}/ban": f"Bannir {reader.display_name}",
        f"/moderation/groups/{group.id}/ban/{other_reader.id}": (
            f"Bannir {other_reader.display_name} de {group.name}"
        ),
        f"/moderation/warnings/{warning.id}": "L’avertissement d’un modérateur",
    }
    for url, heading in pages.items():
        response = client.get(url, headers=FRENCH)
        assert response.status_code == 200, url
        assert heading in response.get_data(as_text=True), url

    log = client.get("/moderation/log", headers=FRENCH).get_data(as_text=True)
    assert "Banni du groupe" in log and "Averti" in log
    assert "Trop de digressions" in log  # the reason, as the moderator wrote it


def test_the_author_is_told_of_a_rejection_in_their_own_language(moderator, discussion):
    from sqlalchemy import select

    from forum.notifications.models import Notification

    french = factories.make_user("fr@example.org", "Flore Française")
    french.language = "fr"
    english = factories.make_user("en@example.org", "Edna English")
    for author in (french, english):
        post = make_pending(discussion, author, "Un avis.")
        services.reject_post(moderator, post, "Hors sujet.")
    db.session.commit()

    told = {
        note.user_id: note.detail
        for note in db.session.scalars(select(Notification).where(Notification.detail != ""))
    }
    # Stored with the notification, so written in the author's language whoever rejects it.
    assert told[french.id] == "Motif du modérateur : Hors sujet."
    assert told[english.id] == "The moderator’s reason: Hors sujet."
