"""The search page in French: its form, its results, its "nothing found" and its errors."""

from __future__ import annotations

from tests import factories

FRENCH = {"Accept-Language": "fr"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_french_reader_searches_in_french(client, reader):
    article = factories.make_article(
        "Arctic Shipping Lanes", body_md="Melting ice opens northern routes for ships."
    )
    factories.make_post(factories.public_discussion(article), reader, "Icebreakers matter.")

    empty = text_of(client.get("/search", headers=FRENCH))
    assert "Affiner la recherche" in empty and "Chaque mot doit figurer" in empty

    found = text_of(client.get("/search?q=icebreakers", headers=FRENCH))
    assert "1 résultat" in found
    assert "Commentaire sur “Arctic Shipping Lanes”" in found
    assert f"Par {reader.display_name}" in found

    articles = text_of(client.get("/search?q=arctic", headers=FRENCH))
    assert "Article de Wen Author" in articles


def test_nothing_found_is_said_in_french(client):
    response = client.get("/search?q=zeppelin", headers=FRENCH)

    html = text_of(response)
    assert response.status_code == 200
    assert "Aucun résultat" in html
    assert "Rien de ce que vous pouvez voir ne contient à la fois : zeppelin." in html


def test_a_filter_that_finds_nothing_is_an_error_beside_its_field_in_french(client):
    response = client.get("/search?q=ice&author=nobody-here&since=soon", headers=FRENCH)

    html = text_of(response)
    assert response.status_code == 400
    assert "Personne ne porte ce nom d’utilisateur." in html
    # The reader's words stay in the form.
    assert 'value="nobody-here"' in html
    # WTForms' own messages come in French too.
    assert "N&#39;est pas une date valide." in html
