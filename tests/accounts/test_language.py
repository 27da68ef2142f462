"""A member's language: the account pages, their form errors and messages in French; the
language saved on the account (settings, or the footer's links while logged in) wins over the
browser's cookie and Accept-Language; WTForms' own messages follow it too."""

from __future__ import annotations

from flask_babel import refresh
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired

from forum.accounts.models import User
from forum.core.forms import Form
from forum.core.i18n import COOKIE
from forum.extensions import db
from tests import factories
from tests.conftest import PASSWORD, login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _settings(user: User, **changes) -> dict:
    return {
        "display_name": user.display_name,
        "bio": "",
        "timezone": "UTC",
        "digest_frequency": "off",
        "language": "",
        **changes,
    }


FROM_OUR_PAGE = {"Sec-Fetch-Site": "same-origin"}


def _saved_language(user: User) -> str | None:
    db.session.expire_all()
    return db.session.get(User, user.id).language


def test_a_french_reader_signs_in_in_french(client, reader):
    page = client.get("/auth/login", headers=FRENCH).get_data(as_text=True)
    assert '<h1 id="login-title">Se connecter</h1>' in page
    assert "Rester connecté sur cet appareil" in page
    assert "Mot de passe oublié ?" in page

    refused = post_form(
        client, "/auth/login", {"email": reader.email, "password": "not it"}, headers=FRENCH
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Cette adresse e-mail et ce mot de passe ne correspondent à aucun compte." in text
    assert "Erreur :" in text
    # The address typed stays in the form.
    assert f'value="{reader.email}"' in text

    empty = post_form(client, "/auth/register", {"email": "", "password": ""}, headers=FRENCH)
    assert "Saisissez le nom que les autres verront à côté de vos messages." in empty.get_data(
        as_text=True
    )

    signed_in = post_form(
        client,
        "/auth/login",
        {"email": reader.email, "password": PASSWORD},
        headers=FRENCH,
        follow_redirects=True,
    )
    assert f"Vous êtes connecté en tant que {reader.display_name}." in signed_in.get_data(
        as_text=True
    )


def test_wtforms_own_messages_follow_the_language(app):
    """Flask-WTF hands WTForms the reader's language (WTF_I18N_ENABLED, on by default), so a
    validator without a message of ours says it in French to a French reader."""

    class Bare(Form):
        name = StringField("Name", validators=[DataRequired()])
        count = IntegerField("Count")

    answers = {}
    for language, headers in (("fr", FRENCH), ("en", ENGLISH)):
        with app.test_request_context(method="POST", data={"count": "many"}, headers=headers):
            # The tests share one app context, where the language of a request is remembered.
            refresh()
            form = Bare(meta={"csrf": False})
            assert not form.validate()
            answers[language] = (form.name.errors, form.count.errors)
        refresh()

    assert answers["fr"][0] == ["Ce champ est requis."]
    assert answers["fr"][1] == ["N'est pas un entier valide."]
    assert answers["en"][0] == ["This field is required."]
    assert answers["en"][1] == ["Not a valid integer value."]


def test_the_language_saved_in_settings_wins_over_the_browser(client, reader):
    login(client, reader)
    form = client.get("/settings").get_data(as_text=True)
    assert '<label for="language">Language</label>' in form
    assert '<option value="fr">Français</option>' in form

    saved = post_form(
        client, "/settings", _settings(reader, language="fr"), page="/settings",
        follow_redirects=True,
    )  # fmt: skip
    # The confirmation is already in the language just chosen.
    assert 'lang="fr"' in saved.get_data(as_text=True)
    assert "Paramètres" in saved.get_data(as_text=True)
    assert _saved_language(reader) == "fr"

    # An English browser, and an English choice in this browser's cookie: the account wins.
    client.set_cookie(COOKIE, "en")
    page = client.get("/auth/login", headers=ENGLISH).get_data(as_text=True)
    assert 'lang="fr"' in page and "Mot de passe oublié ?" in page

    # Back to "the browser's language": the cookie, then Accept-Language decide again.
    post_form(client, "/settings", _settings(reader, language=""), page="/settings")
    assert _saved_language(reader) is None
    assert 'lang="en"' in client.get("/auth/login", headers=FRENCH).get_data(as_text=True)
    client.delete_cookie(COOKIE)
    assert 'lang="fr"' in client.get("/auth/login", headers=FRENCH).get_data(as_text=True)


def test_a_language_not_offered_is_refused_beside_the_field(client, reader):
    login(client, reader)
    response = post_form(
        client, "/settings", _settings(reader, language="xx", bio="Kept."), page="/settings"
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Choose a language from the list." in text
    assert "Kept." in text
    assert _saved_language(reader) is None


def test_the_footers_language_link_saves_the_choice_on_the_account(app, client, reader):
    login(client, reader)
    response = client.get("/language/fr", query_string={"next": "/settings"}, headers=FROM_OUR_PAGE)
    assert response.status_code == 302
    assert _saved_language(reader) == "fr"

    # Another browser, with no cookie and an English Accept-Language, after logging in.
    other = app.test_client()
    login(other, reader)
    page = other.get("/settings", headers=ENGLISH).get_data(as_text=True)
    assert 'lang="fr"' in page
    # Told in the account's language, from the moment they sign in.
    assert f"Vous êtes connecté en tant que {reader.display_name}." in page
    assert "Votre navigateur" not in other.get("/settings").get_data(as_text=True)

    # A browser that does not say Sec-Fetch-Site sends our page as its Referer.
    client.get("/language/en", headers={"Referer": "http://localhost/settings"})
    assert _saved_language(reader) == "en"


def test_another_site_cannot_change_a_members_saved_language(client, reader):
    """The footer's links are GETs without a form token: a page elsewhere (an image, a link)
    sending the member's browser to one must not change their account, nor their emails."""
    login(client, reader)
    client.get("/language/fr", headers=FROM_OUR_PAGE)
    client.get("/language/en", headers={"Sec-Fetch-Site": "cross-site"})
    client.get("/language/en", headers={"Referer": "https://elsewhere.example/page"})
    client.get("/language/en")  # no Sec-Fetch-Site and no Referer: not known to be ours
    assert _saved_language(reader) == "fr"
    assert 'lang="fr"' in client.get("/settings").get_data(as_text=True)


def test_a_visitors_language_link_changes_no_account(client, reader):
    client.get("/language/fr")
    assert _saved_language(reader) is None


def test_members_keep_the_language_they_registered_in(client, outbox):
    post_form(
        client,
        "/auth/register",
        {"email": "camille@example.org", "display_name": "Camille", "password": "x" * 12},
        headers=FRENCH,
    )
    user = db.session.scalar(db.select(User).where(User.email == "camille@example.org"))
    assert user.language == "fr"


def test_the_profile_and_its_pages_read_in_french(client, reader):
    factories.make_post(factories.public_discussion(factories.make_article("Sujet")), reader)
    page = client.get(f"/users/{reader.username}", headers=FRENCH).get_data(as_text=True)
    assert "Membre depuis le" in page
    assert "Messages" in page


def test_a_refusal_worded_after_a_failed_write_is_in_the_members_language(app, reader):
    from flask_babel import gettext
    from flask_login import login_user
    from sqlalchemy.exc import IntegrityError

    reader.language = "fr"
    db.session.commit()
    with app.test_request_context("/"):
        refresh()
        login_user(reader)
        app.preprocess_request()
        db.session.add(
            User(email=reader.email, username="copy", display_name="Copy", password_hash="x")
        )
        try:
            db.session.flush()
        except IntegrityError:
            # The session now refuses every read until it is rolled back; the view words
            # its refusal first.
            assert gettext("Log out") == "Se déconnecter"
        else:
            raise AssertionError("the duplicate address was accepted")
        db.session.rollback()
        refresh()
