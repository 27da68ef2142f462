"""Languages: the browser's Accept-Language or the reader's choice picks the language of the
pages, their dates, and of the cached copies anonymous readers get."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import refresh

from forum.core.i18n import COOKIE, LANGUAGES
from forum.core.timefmt import time_tag
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def test_a_french_browser_gets_french_pages(client):
    english = client.get("/no-such-page").get_data(as_text=True)
    french = client.get("/no-such-page", headers=FRENCH).get_data(as_text=True)

    assert "Go to the home page" in english
    assert "Aller à la page d’accueil" in french
    assert 'lang="fr"' in french


def test_an_articles_discussion_reads_in_french(client, reader):
    article = factories.make_article("Débat en français")
    factories.make_post(factories.public_discussion(article), reader, "Un avis <b>net</b>.")

    page = client.get(f"/articles/{article.slug}", headers=FRENCH).get_data(as_text=True)

    assert "1 commentaire" in page
    assert "Trier par" in page
    assert f"Commentaire de {reader.display_name}" in page
    assert "Connectez-vous pour répondre" in page
    # The post's own text is not touched, and stays escaped.
    assert "<b>net</b>" not in page


def test_a_language_chosen_on_the_site_wins_over_the_browsers(client):
    response = client.get("/language/fr", query_string={"next": "/articles/"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/articles/")
    assert "Aller à la page d’accueil" in client.get("/no-such-page").get_data(as_text=True)

    client.get("/language/en")
    page = client.get("/no-such-page", headers=FRENCH).get_data(as_text=True)
    assert "Go to the home page" in page


def test_a_language_that_is_not_offered_changes_nothing(client):
    response = client.get("/language/xx", query_string={"next": "//evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_dates_are_written_in_the_viewers_language(app):
    moment = datetime(2026, 2, 3, 18, 30, tzinfo=UTC)
    with app.test_request_context(headers=FRENCH):
        assert "3 févr. 2026, 18:30 UTC" in time_tag(moment, "UTC")
        # The tests share one app context, where the language of a request is remembered.
        refresh()
    with app.test_request_context():
        assert "3 Feb 2026, 18:30 UTC" in time_tag(moment, "UTC")


def test_emails_made_without_a_request_are_written_in_english(app):
    # The worker and the commands render emails in an app context with no request.
    moment = datetime(2026, 2, 3, 18, 30, tzinfo=UTC)
    with app.app_context():
        refresh()
        assert "3 Feb 2026, 18:30 UTC" in time_tag(moment, "UTC")


def test_anonymous_readers_get_cached_pages_in_their_own_language(client):
    article = factories.make_article("Cached In Two Languages")
    factories.public_discussion(article)
    url = f"/articles/{article.slug}"

    assert client.get(url).headers["X-Page-Cache"] == "miss"
    french = client.get(url, headers=FRENCH)
    assert french.headers["X-Page-Cache"] == "miss"
    assert 'lang="fr"' in french.get_data(as_text=True)
    assert client.get(url, headers=FRENCH).headers["X-Page-Cache"] == "hit"
    assert "Accept-Language" in french.headers["Vary"]


def test_every_language_shipped_is_complete_and_compiled():
    with open(ROOT / "translations" / "messages.pot", "rb") as handle:
        wanted = {_name(message) for message in read_po(handle) if message.id}
    for language in set(LANGUAGES) - {"en"}:
        folder = ROOT / "translations" / language / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as handle:
            catalogue = read_po(handle, locale=language)
        translated = {_name(m): _key(m.string) for m in catalogue if m.id and not m.fuzzy}
        missing = [m for m in wanted if not all(translated.get(m) or ())]
        assert not missing, f"{language}: untranslated (run `make translations`): {missing}"
        # The compiled catalogue the app reads says the same as the one people edit.
        compiled = read_mo(io.BytesIO((folder / "messages.mo").read_bytes()))
        assert {_name(m): _key(m.string) for m in compiled if m.id} == translated, (
            f"{language}: messages.mo is older than messages.po (run `make translations`)"
        )


def _name(message) -> tuple:
    """A message as the catalogue tells it apart: its context (pgettext) and its text."""
    return (message.context, _key(message.id))


def _key(text: str | list | tuple) -> tuple:
    """Singular and plural entries alike: the catalogues give plurals as lists or tuples."""
    return (text,) if isinstance(text, str) else tuple(text)
