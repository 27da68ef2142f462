"""Emails and the notifications pages in French: the subject, every paragraph and the
digest's sections are written in the reader's language; what people wrote stays as it is."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from forum.core.mail import OutboxMessage, render_email
from forum.discussions.services import post_reply
from forum.extensions import db
from forum.notifications.queries import (
    DigestBallot,
    DigestContent,
    DigestPost,
    DigestReading,
    DigestSection,
    DigestSession,
)
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_session
from tests.notifications.conftest import trust
from tests.notifications.test_groups import NOW, ballot  # noqa: F401 - the fixture

BASE_URL = "http://forum.test"
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
LINKS = {
    "unsubscribe_url": f"{BASE_URL}/digests/unsubscribe/token",
    "preferences_url": f"{BASE_URL}/settings/notifications",
}
MOMENT = datetime(2030, 3, 7, 19, tzinfo=UTC)


def in_french(template: str, **context) -> tuple[str, str, str]:
    with force_locale("fr"):
        return render_email(template, **context)


def reply_context(reader, other_reader) -> dict:
    article = factories.make_article("Le <débat> du jour")
    discussion = factories.public_discussion(article)
    root = factories.make_post(discussion, reader, "Mon avis.")
    reply = factories.make_post(discussion, other_reader, "Une réponse *nette*.", parent=root)
    return {
        "user": reader,
        "actor": other_reader,
        "post": reply,
        "discussion_title": article.title,
        "post_url": f"{BASE_URL}/posts/{reply.id}",
        **LINKS,
    }


def test_the_reply_notification_reads_in_french(reader, other_reader):
    context = reply_context(reader, other_reader)

    subject, text, html = in_french("notifications/reply", **context)

    assert subject == "Otto Other a répondu à votre message"
    assert text.startswith("Bonjour Rita Reader,\n\n")
    assert (
        "Otto Other a répondu à votre message dans la discussion de “Le <débat> du jour” :" in text
    )
    assert "  Une réponse *nette*." in text, "the reply's own words, untouched"
    assert f"Le lire et répondre : {context['post_url']}" in text
    assert f"Se désabonner de ces e-mails en un clic : {LINKS['unsubscribe_url']}" in text
    assert '<html lang="fr">' in html
    assert "<title>Otto Other a répondu à votre message</title>" in html
    assert "discussion de “Le &lt;débat&gt; du jour” :" in html
    assert ">Le lire et répondre</a>" in html
    assert ">Se désabonner</a> de ces e-mails en un clic" in html


def test_the_english_reply_notification_is_unchanged(reader, other_reader):
    subject, text, html = render_email("notifications/reply", **reply_context(reader, other_reader))

    assert subject == "Otto Other replied to your post"
    assert text.startswith("Hello Rita Reader,\n\nOtto Other replied to your post in the")
    assert "Read it and reply: http://forum.test/posts/" in text
    assert '<html lang="en">' in html and ">Read it and reply</a>" in html


def digest_content() -> DigestContent:
    post = DigestPost(id=7, author="Bea", excerpt="Une idée.", score=5, created_at=MOMENT)
    return DigestContent(
        sections=[DigestSection("Sea Lanes", "/articles/sea-lanes", "GD", posts=[post], more=3)],
        replies=[DigestPost(id=8, author="Cy", excerpt="D’accord.", score=0, created_at=MOMENT)],
        articles=[factories.make_article("Melting Ice")],
        sessions=[
            DigestSession(
                title="Climate migration",
                group_name="GD",
                path="/groups/gd/sessions/1",
                starts_at=MOMENT,
                when="jeudi 7 mars, 19:00 UTC",
                place="Bibliothèque",
                rsvp="waitlisted",
                readings=[DigestReading("Sea Lanes", "sea-lanes")],
            )
        ],
        ballots=[
            DigestBallot(
                title="Energy",
                group_name="GD",
                path="/groups/gd/sessions/2/ballot",
                closes_at=MOMENT,
                closes="jeudi 7 mars, 19:00 UTC",
            )
        ],
        queue_size=2,
    )


def test_the_digest_and_its_sections_read_in_french(reader):
    content = digest_content()
    site = current_app.config["SITE_NAME"]

    subject, text, html = in_french("notifications/digest", user=reader, content=content, **LINKS)

    assert subject == f"Les nouveautés de {site} : {content.item_count} éléments"
    assert f"Voici les nouveautés de {site} depuis votre dernier récapitulatif." in text
    for heading in (
        "RÉPONSES À VOS MESSAGES",
        "SEA LANES (GD)",
        "NOUVEAUX ARTICLES",
        "LES SÉANCES DE VOS GROUPES DANS LES 7 PROCHAINS JOURS",
        "SCRUTINS BIENTÔT CLOS",
        "FILE DE MODÉRATION",
    ):
        assert f"\n\n\n{heading}\n" in text, heading
    assert "* Bea (5 votes): Une idée." in text
    assert "* et 3 autres: http://forum.test/articles/sea-lanes" in text
    assert "Vous êtes sur la liste d’attente: http://forum.test/groups/gd/sessions/1" in text
    assert "À lire avant : Sea Lanes, http://forum.test/articles/sea-lanes" in text
    assert "* Energy (GD): clôture jeudi 7 mars, 19:00 UTC" in text
    assert "2 messages attendent dans votre file: http://forum.test/moderation/" in text
    assert "Choisissez les e-mails que vous recevez :" in text
    assert f"Bonjour Rita Reader, voici les nouveautés de {site}" in html
    assert ">Réponses à vos messages</h2>" in html and ">Nouveaux articles</h2>" in html
    assert ">Lire et répondre</a>" in html and ">Vous êtes sur la liste d’attente<" in html

    english, text, _html = render_email(
        "notifications/digest", user=reader, content=content, **LINKS
    )
    assert english == f"What is new on {site}: {content.item_count} items"
    assert "\n\n\nREPLIES TO YOU\n" in text and "2 posts wait in your queue" in text


def test_a_session_reminder_reads_in_french(group, member):
    factories.make_article("Melting Sea Lanes")
    session = make_session(group, readings=["melting-sea-lanes"], starts_on=date(2030, 3, 7))

    subject, text, html = in_french(
        "groups/reminder",
        user=member,
        session=session,
        when="jeudi 7 mars, 19:00 GMT",
        path=f"/groups/{group.slug}/sessions/{session.id}",
        **LINKS,
    )

    assert subject == "Demain : Climate migration"
    assert (
        "Vous venez à “Climate migration” de Great Decisions Discussion group : "
        "jeudi 7 mars, 19:00 GMT." in text
    )
    assert "Lieu : Central Library, Room 2\n" in text
    assert "Lectures :\n- Melting Sea Lanes: http://forum.test/articles/melting-sea-lanes" in text
    assert "dites-le sur la page de la séance pour qu’une personne de la liste d’attente" in text
    assert "<p>Lieu : Central Library, Room 2</p>" in html
    assert "<p>Lectures :</p>" in html
    assert ">dites-le sur la page de la séance</a>" in html


def test_the_verification_email_reads_in_french(unverified):
    site = current_app.config["SITE_NAME"]

    subject, text, html = in_french(
        "accounts/verify_email", user=unverified, path="/auth/verify/token", valid_for="48 heures"
    )

    assert subject == f"Confirmez votre adresse e-mail pour {site}"
    assert text.startswith("Bonjour Nina New,\n")
    assert (
        "Confirmez que new@example.org est bien votre adresse e-mail en ouvrant ce lien :\n\n"
        "http://forum.test/auth/verify/token\n" in text
    )
    assert "Le lien est valable 48 heures." in text
    assert f"Si vous n’avez pas créé de compte sur {site}, ignorez cet e-mail" in text
    assert ">Confirmer mon adresse e-mail</a>" in html


def test_a_french_reader_sees_the_notifications_page_in_french(client, reader, other_reader):
    trust(reader, other_reader)
    article = factories.make_article("Beijing Signals")
    discussion = factories.public_discussion(article)
    root = post_reply(reader, discussion, None, "The opening post.")
    db.session.commit()
    post_reply(other_reader, discussion, root, "A reply.")
    db.session.commit()
    login(client, reader)

    page = client.get("/notifications/", headers=FRENCH).get_data(as_text=True)

    assert "<h1>Notifications</h1>" in page
    assert "Otto Other a répondu à votre message sur “Beijing Signals”" in page
    assert "Tout marquer comme lu" in page and "Voir le message" in page
    assert "Choisir celles qui arrivent aussi par e-mail" in page

    response = post_form(
        client,
        "/notifications/read",
        {},
        page="/notifications/",
        headers=FRENCH,
        follow_redirects=True,
    )
    assert "Toutes vos notifications sont marquées comme lues." in response.get_data(as_text=True)


def test_a_french_reader_sets_their_email_preferences_in_french(client, moderator):
    login(client, moderator)

    page = client.get("/settings/notifications", headers=FRENCH).get_data(as_text=True)

    assert "Préférences d’e-mail" in page and "M’envoyer un e-mail quand" in page
    assert "Une réponse à l’un de mes messages" in page
    assert "Jour du récapitulatif hebdomadaire" in page
    # The days are Babel's, in French.
    assert ">lundi</option>" in page and ">dimanche</option>" in page
    assert "Enregistrer les préférences d’e-mail" in page

    response = post_form(
        client,
        "/settings/notifications",
        {"queue_threshold": "0", "digest_weekday": "2"},
        page="/settings/notifications",
        headers=FRENCH,
    )
    assert response.status_code == 422
    assert "Choisissez un nombre de 1 à 10 000, ou laissez le champ vide." in response.get_data(
        as_text=True
    ).replace("\u202f", " ").replace("\xa0", " ")

    response = post_form(
        client,
        "/settings/notifications",
        {"digest_weekday": "2"},
        page="/settings/notifications",
        headers=FRENCH,
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Vos préférences d’e-mail sont enregistrées." in page
    assert '<option selected value="2">mercredi</option>' in page


def test_an_unsubscribe_link_reads_in_french(client, reader):
    from forum.notifications.services import unsubscribe_token

    url = f"/digests/unsubscribe/{unsubscribe_token(reader, 'reply')}"
    page = client.get(url, headers=FRENCH).get_data(as_text=True)
    assert "Ne plus envoyer les e-mails pour “une réponse à l’un de mes messages” à" in page

    page = client.post(url, headers=FRENCH).get_data(as_text=True)
    assert "C’est fait : reader@example.org ne recevra plus les e-mails pour" in page

    response = client.get("/digests/unsubscribe/nonsense", headers=FRENCH)
    assert response.status_code == 404
    assert "Ce lien de désabonnement n’est pas valable." in response.get_data(as_text=True)


def test_a_ballots_deadline_is_written_in_the_language_of_the_email(group, member):
    from forum.core.timefmt import spoken_time

    session = make_session(group, starts_on=date(2030, 3, 7))
    # The context is made before the recipient's language is known (the worker's is English).
    context = {
        "user": member,
        "session": session,
        "closes": spoken_time(datetime(2030, 3, 12, 18, tzinfo=UTC), "Europe/Paris"),
        "path": "/ballot",
        **LINKS,
    }

    subject, text, html = in_french("groups/ballot_opened", **context)
    assert subject == "Scrutin ouvert : Climate migration"
    assert "Il sera clos mardi 12 mars, 19:00 CET." in text
    assert "<p>Il sera clos mardi 12 mars, 19:00 CET.</p>" in html

    _subject, text, _html = render_email("groups/ballot_opened", **context)
    assert "It closes Tuesday 12 March, 19:00 CET." in text


def test_a_ballots_notice_is_written_in_each_members_own_language(ballot, member, reader):  # noqa: F811
    from forum.notifications import services
    from forum.notifications.models import Kind, Notification

    member.language = "fr"
    db.session.commit()
    services.notify_ballots(NOW)
    db.session.commit()

    def line(user) -> str:
        return db.session.scalar(
            select(Notification.detail).where(
                Notification.user_id == user.id, Notification.kind == Kind.BALLOT_OPENED
            )
        )

    assert line(member) == (
        "Le scrutin sur “Climate migration” de Great Decisions Discussion group est ouvert : "
        "donnez votre avis. Il sera clos vendredi 4 janvier, 12:00 UTC."
    )
    assert line(reader) == (
        "The ballot on “Climate migration” of Great Decisions Discussion group is open: "
        "say what you think. It closes Friday 4 January, 12:00 UTC."
    )
    bodies = dict(
        db.session.execute(
            select(OutboxMessage.to_address, OutboxMessage.text_body).where(
                OutboxMessage.template == "groups/ballot_opened"
            )
        ).all()
    )
    assert "Il sera clos vendredi 4 janvier, 12:00 UTC." in bodies[member.email]
    assert "It closes Friday 4 January, 12:00 UTC." in bodies[reader.email]
