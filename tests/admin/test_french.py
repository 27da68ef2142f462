"""The admin area in French: an administrator whose browser asks for French reads the
dashboard, the settings and their errors, and the flash messages in French."""

from __future__ import annotations

from datetime import timedelta

from forum.admin.settings import get_setting
from forum.core.db import utc_now
from forum.ops.status import record_heartbeat
from tests.admin.test_settings import VALID
from tests.conftest import login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def test_a_french_admin_reads_the_dashboard_in_french(app, client, admin):
    record_heartbeat(app, utc_now() - timedelta(minutes=20))
    login(client, admin)
    html = client.get("/admin/", headers=FRENCH).get_data(as_text=True)

    assert "Ce qui demande votre attention" in html
    assert "File de modération</a> : 0 en attente, 0 avec signalement" in html
    assert "il y a plus de cinq minutes : <code>forum worker</code> tourne-t-il ?" in html
    assert "Messages et nouveaux membres de chacun des 14 derniers jours" in html
    assert "Tableau de bord" in html
    assert "What needs attention" not in html


def test_a_french_admin_gets_settings_errors_beside_the_field_in_french(client, admin):
    login(client, admin)
    page = client.get("/admin/settings", headers=FRENCH).get_data(as_text=True)
    assert "Paramètres du site" in page and "Qui peut s’inscrire" in page
    assert "Ouverte : tout le monde peut s’inscrire" in page

    response = post_form(
        client,
        "/admin/settings",
        {**VALID, "auto_close_days": "-3", "embed_sites": "blog.example.org/comments"},
        page="/admin/settings",
        headers=FRENCH,
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Entre 0 et 3650 jours." in html
    assert "Where the reading group talks." in html  # what the admin typed is kept
    assert get_setting("site_name") != VALID["site_name"]

    refused = post_form(
        client,
        "/admin/settings",
        {**VALID, "embed_sites": "blog.example.org/comments"},
        page="/admin/settings",
        headers=FRENCH,
    )
    assert "n’est pas l’adresse d’un site" in refused.get_data(as_text=True)

    saved = post_form(client, "/admin/settings", VALID, page="/admin/settings", headers=FRENCH)
    assert saved.status_code == 302
    after = client.get("/admin/settings", headers=FRENCH).get_data(as_text=True)
    assert "Les paramètres sont enregistrés" in after


def test_a_french_admin_reads_the_people_articles_and_groups_pages_in_french(
    client, admin, reader, discussion, group
):
    login(client, admin)
    users = client.get("/admin/users", headers=FRENCH).get_data(as_text=True)
    assert "Comptes, les plus récents d’abord" in users and "<td>lecteur</td>" in users
    person = client.get(f"/admin/users/{reader.id}", headers=FRENCH).get_data(as_text=True)
    assert "Changer le rôle" in person and f"Suspendre {reader.display_name}" in person
    assert "Garder les messages, signés “Deleted member” (membre supprimé)" in person
    articles = client.get("/admin/articles", headers=FRENCH).get_data(as_text=True)
    assert "Ouverte, 0 message" in articles and "Masquer<span" in articles
    groups = client.get("/admin/groups", headers=FRENCH).get_data(as_text=True)
    assert "Organisateurs : aucun." in groups and "Créer le groupe" in groups

    hidden = post_form(
        client, f"/admin/articles/{discussion.article_id}/hide", {}, page="/admin/articles",
        headers=FRENCH, follow_redirects=True,
    )  # fmt: skip
    assert "est masqué pour tous sauf les administrateurs" in hidden.get_data(as_text=True)
