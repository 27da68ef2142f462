"""A French reader writes, edits and deletes posts in French: the pages, the labels and the
form's errors, with the text they wrote kept."""

from __future__ import annotations

from forum.discussions.services import MAX_BODY_LENGTH
from tests import factories
from tests.conftest import login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_editing_a_post_reads_in_french_with_the_error_beside_the_text(client, reader, discussion):
    post = factories.make_post(discussion, reader, "Premier jet")
    login(client, reader)

    page = client.get(f"/posts/{post.id}/edit", headers=FRENCH).get_data(as_text=True)
    assert "<h1>Modifier le message</h1>" in page
    assert '<label for="body">Votre message</label>' in page
    assert "Le texte précédent reste dans l’historique du message." in page

    too_long = "mot " * (MAX_BODY_LENGTH // 4 + 1)
    response = post_form(client, f"/posts/{post.id}/edit", {"body": too_long}, headers=FRENCH)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # The limit is written the French way, digits grouped by a narrow space.
    assert "Un message est limité à 20\u202f000 caractères ; raccourcissez-le un peu." in page
    assert "mot mot mot" in page


def test_a_posts_history_and_deleting_it_read_in_french(client, reader, discussion):
    post = factories.make_post(discussion, reader, "Avant")
    login(client, reader)
    post_form(client, f"/posts/{post.id}/edit", {"body": "Après"})

    history = client.get(f"/posts/{post.id}/revisions", headers=FRENCH).get_data(as_text=True)
    assert f"Historique d’un message de {reader.display_name}" in history
    assert "Version actuelle, depuis le" in history and "Retour au message" in history

    delete = client.get(f"/posts/{post.id}/delete", headers=FRENCH).get_data(as_text=True)
    assert "Supprimer ce message ?" in delete and "Le garder" in delete


def test_posting_and_a_refusal_are_told_in_french(client, reader, discussion):
    login(client, reader)
    response = post_form(
        client,
        f"/discussions/{discussion.id}/posts",
        {"body": "Bonjour à tous"},
        headers=FRENCH,
        follow_redirects=True,
    )
    assert "Votre message est publié." in response.get_data(as_text=True)

    own = factories.make_post(discussion, reader, "Le mien")
    refused = post_form(client, f"/posts/{own.id}/vote", {"value": "1"}, headers=FRENCH)
    assert refused.status_code == 403
    assert "Vous ne pouvez pas voter pour votre propre message." in refused.get_data(as_text=True)


def test_a_moderator_reads_why_a_post_was_held_in_french(client, moderator, reader, discussion):
    from forum.discussions.models import PostState

    factories.make_post(
        discussion, reader, "Première fois", state=PostState.PENDING, hold_reasons="new user"
    )
    login(client, moderator)

    page = client.get(f"/articles/{discussion.article.slug}", headers=FRENCH).get_data(as_text=True)

    # The stored reason is English; the reader is told it in theirs.
    assert "(retenu : nouveau membre)" in page
