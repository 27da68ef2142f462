"""The articles' pages read in French for a French browser; what people wrote stays as written."""

from __future__ import annotations

from sqlalchemy import select

from forum.articles.models import Feed
from forum.extensions import db
from forum.groups.services import ensure_group
from tests import factories
from tests.articles.test_polling import blog, url_of  # noqa: F401 - blog is a fixture
from tests.articles.test_views import FORM, text_of
from tests.conftest import login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_the_home_page_and_the_list_read_in_french(client, reader):
    article = factories.make_article("Grain Routes")
    factories.make_post(factories.public_discussion(article), reader)
    factories.make_article("Quiet Harbours")

    home = text_of(client.get("/", headers=FRENCH))
    assert "Derniers articles" in home
    assert "Trouver un groupe de discussion" in home
    assert "1 commentaire" in home and "Pas encore de commentaire" in home
    assert "Latest articles" not in home

    listing = text_of(client.get("/articles/", headers=FRENCH))
    assert "<h1>Articles</h1>" in listing
    assert "Suivre les articles, les discussions et les groupes dans un lecteur de flux" in listing
    assert "Grain Routes" in listing and "Quiet Harbours" in listing


def test_an_article_page_reads_in_french_around_the_authors_text(client):
    article = factories.make_article("Tides", author_bio="Ivo keeps a boat.")
    article.groups = [ensure_group("Coastal Walkers"), ensure_group("Harbour Readers")]
    db.session.commit()

    page = text_of(client.get(f"/articles/{article.slug}", headers=FRENCH))

    assert 'Par <span class="author">Wen Author</span>' in page
    assert "À propos de l’auteur : Wen Author" in page
    # The groups are listed the French way: "le A et le B".
    assert "Discuté par le <a" in page and "</a> et le <a" in page
    assert "Flux Atom de cette discussion" in page
    # The article's own words are not translated.
    assert '<h1 id="article-title">Tides</h1>' in page
    assert "Second paragraph." in page and "Ivo keeps a boat." in page


def test_the_editor_says_what_is_wrong_in_french_and_keeps_the_text(client, admin):
    login(client, admin)
    client.get("/language/fr")

    form_page = text_of(client.get("/articles/new"))
    assert "Nouvel article" in form_page and "Enregistrer l’article" in form_page

    bad = {**FORM, "figure_lines": "Boats | Ana | two"}
    response = post_form(client, "/articles/new", bad, page="/articles/new")
    html = text_of(response)
    assert response.status_code == 400
    assert "Ligne 1 : le numéro de paragraphe doit être un nombre entier, pas “two”." in html
    assert "The *outer islands* see two tides a day." in html

    saved = post_form(client, "/articles/new", FORM, page="/articles/new", follow_redirects=True)
    assert "L’article est enregistré." in text_of(saved)


def test_a_reader_is_refused_the_editor_in_french(client, reader):
    login(client, reader)
    client.get("/language/fr")

    response = client.get("/articles/new")

    assert response.status_code == 403
    assert "Seuls les administrateurs peuvent créer et modifier des articles." in text_of(response)


def test_a_missing_article_is_explained_in_french(client):
    response = client.get("/articles/no-such-article", headers=FRENCH)

    assert response.status_code == 404
    assert "Cet article n’existe pas." in text_of(response)


def test_an_admin_follows_and_polls_a_feed_in_french(client, admin, blog):  # noqa: F811
    login(client, admin)
    client.get("/language/fr")

    refused = post_form(client, "/admin/feeds", {"url": "ftp://x.example"}, page="/admin/feeds")
    assert "L’adresse d’un flux commence par http:// ou https://." in text_of(refused)

    added = post_form(
        client, "/admin/feeds", {"url": url_of(blog)}, page="/admin/feeds", follow_redirects=True
    )
    assert "le processus de fond va le consulter sous peu" in text_of(added)
    assert "En attente de la première consultation." in text_of(added)

    feed_id = db.session.scalar(select(Feed.id))
    polled = post_form(
        client, f"/admin/feeds/{feed_id}/poll", {}, page="/admin/feeds", follow_redirects=True
    )
    html = text_of(polled)
    assert "Flux consulté. Créés : 2 ; mis à jour : 0 ; ignorés : 1 ; en échec : 0." in html
    # The feed's row keeps the worker's stored report as written.
    assert "2 created, 0 updated, 1 skipped, 0 failed." in html

    again = post_form(
        client, f"/admin/feeds/{feed_id}/poll", {}, page="/admin/feeds", follow_redirects=True
    )
    assert "Le flux n’a pas changé depuis la dernière consultation." in text_of(again)
