"""The API's pages in French: a member's tokens and an admin's webhooks, with their form
errors and flash messages. The JSON of /api/v1 stays English (it is read by programs)."""

from __future__ import annotations

from sqlalchemy import select

from forum.api import services
from forum.api.models import ApiToken
from forum.extensions import db
from tests import factories
from tests.api.conftest import bearer, make_token
from tests.conftest import login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_a_french_member_manages_tokens_in_french(client, reader):
    login(client, reader)
    page = client.get("/settings/tokens", headers=FRENCH).get_data(as_text=True)
    assert "Jetons d’API" in page and "Vous n’avez aucun jeton." in page
    assert "Lecture : voir ce que vous voyez sur le site" in page

    refused = post_form(
        client, "/settings/tokens", {"name": "", "scope": "read"}, page="/settings/tokens",
        headers=FRENCH,
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Nommez le jeton" in refused.get_data(as_text=True)

    made = post_form(
        client, "/settings/tokens", {"name": "Mon script", "scope": "write"},
        page="/settings/tokens", headers=FRENCH,
    )  # fmt: skip
    assert made.status_code == 201
    html = made.get_data(as_text=True)
    assert "Le jeton est créé. Copiez-le maintenant" in html
    assert "lecture et écriture" in html and "Révoquer “Mon script”" in html

    token = db.session.scalar(select(ApiToken))
    post_form(
        client, f"/settings/tokens/{token.id}/revoke", {}, page="/settings/tokens",
        headers=FRENCH,
    )  # fmt: skip
    after = client.get("/settings/tokens", headers=FRENCH).get_data(as_text=True)
    assert "Le jeton “Mon script” est révoqué" in after


def test_a_french_admin_is_told_in_french_why_a_webhook_address_is_refused(client, admin):
    login(client, admin)
    page = client.get("/admin/webhooks", headers=FRENCH).get_data(as_text=True)
    assert "Ajouter un webhook" in page and "Aucun webhook pour l’instant." in page

    refused = post_form(
        client, "/admin/webhooks", {"url": "http://10.0.0.7/hooks", "post_created": "y"},
        page="/admin/webhooks", headers=FRENCH,
    )  # fmt: skip
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "10.0.0.7 est une adresse interne au réseau (10.0.0.7)" in html
    assert 'value="http://10.0.0.7/hooks"' in html


def test_the_api_answers_in_english_whatever_the_browser_asks(client, reader):
    raw = make_token(reader, "read")
    response = client.post("/api/v1/notifications/read", json={}, headers={**bearer(raw), **FRENCH})
    assert response.status_code == 403
    assert "read-only" in response.json["error"]["message"]


def test_a_french_admin_reads_the_deliveries_in_french(client, admin):
    webhook = services.create_webhook(admin, "https://93.184.215.14/hooks", ["post.created"])
    db.session.commit()
    webhook.url = "http://localhost:9/hooks"  # refused at delivery
    db.session.commit()
    services.queue_event(db.session(), "post.created", lambda: {"post": None})
    db.session.commit()

    login(client, admin)
    html = client.get("/admin/webhooks", headers=FRENCH).get_data(as_text=True)
    assert "Derniers envois à http://localhost:9/hooks" in html
    assert "<td>en échec</td>" in html
    assert "Actif ; événements : post.created ; ajouté le" in html


def test_the_apis_refusals_from_shared_rules_stay_english(client, reader, discussion):
    own = factories.make_post(discussion, reader, "Mine")
    raw = make_token(reader, "write")

    refused = client.put(f"/api/v1/posts/{own.id}/vote", headers={**bearer(raw), **FRENCH})

    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "You cannot vote for your own post."
