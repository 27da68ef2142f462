"""Emails are written in their recipient's language (the one saved on their account, else
English), whichever request or job writes them: a French reader's action does not send
English readers French emails, nor the other way round."""

from __future__ import annotations

from flask_babel import refresh
from sqlalchemy import select

from forum.core.i18n import current_language
from forum.core.mail import OutboxMessage, queue_email
from forum.extensions import db
from tests import factories
from tests.conftest import post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
CHANGED_EN = "The email address of your"
CHANGED_FR = "L’adresse e-mail de votre compte"


def _member(email: str, name: str, language: str | None):
    user = factories.make_user(email, name)
    user.language = language
    db.session.commit()
    return user


def _address_changed(user, **kwargs) -> OutboxMessage:
    return queue_email(
        user.email, "accounts/email_changed", user=user, old_email="old@example.org", **kwargs
    )


def _mail_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address))
    )


def test_a_french_request_writes_to_an_english_member_in_english_and_back(app):
    english = _member("ed@example.org", "Ed English", None)
    french = _member("fanny@example.org", "Fanny Français", "fr")

    with app.test_request_context(headers=FRENCH):
        refresh()
        to_english = _address_changed(english, user_id=english.id)
        # The page being made goes on in its reader's language.
        assert current_language() == "fr"
    refresh()
    with app.test_request_context(headers=ENGLISH):
        refresh()
        to_french = _address_changed(french, user_id=french.id)
        assert current_language() == "en"
    refresh()

    assert to_english.subject.startswith(CHANGED_EN)
    assert "Hello Ed English," in to_english.text_body
    assert "Bonjour" not in to_english.html_body
    assert to_french.subject.startswith(CHANGED_FR)
    assert "Bonjour Fanny Français," in to_french.text_body
    assert "Bonjour Fanny Français," in to_french.html_body


def test_the_worker_writes_to_each_member_in_their_language(app):
    # The worker and the commands have an app context and no request.
    english = _member("ed@example.org", "Ed English", "en")
    french = _member("fanny@example.org", "Fanny Français", "fr")
    with app.app_context():
        refresh()
        assert _address_changed(french, user_id=french.id).subject.startswith(CHANGED_FR)
        assert _address_changed(english, user_id=english.id).subject.startswith(CHANGED_EN)


def test_an_address_without_an_account_is_written_to_in_english(app):
    with app.test_request_context(headers=FRENCH):
        refresh()
        somebody = factories.make_user("sam@example.org", "Sam")
        message = _address_changed(somebody)  # no user_id: nobody's saved language
    refresh()
    assert message.subject.startswith(CHANGED_EN)


def test_a_reset_asked_from_a_french_browser_reaches_an_english_member_in_english(client, reader):
    post_form(client, "/auth/reset", {"email": reader.email}, headers=FRENCH)
    (message,) = _mail_to(reader.email)
    assert message.user_id == reader.id
    assert "Bonjour" not in message.text_body
    assert f"Hello {reader.display_name}," in message.text_body


def test_someone_registering_in_french_is_asked_to_confirm_in_french(client):
    response = post_form(
        client,
        "/auth/register",
        {"email": "camille@example.org", "display_name": "Camille", "password": "x" * 12},
        headers=FRENCH,
        follow_redirects=True,
    )
    assert "Bienvenue, Camille." in response.get_data(as_text=True)
    (message,) = _mail_to("camille@example.org")
    assert message.subject.startswith("Confirmez votre adresse e-mail")
    assert "Bonjour Camille," in message.text_body
    # How long the link works is written in the email's language too.
    assert " jour" in message.text_body or " heure" in message.text_body
    assert " day" not in message.text_body and " hour" not in message.text_body
