"""Articles written and edited in the editor are in the audit log (the moderation log), with
what changed."""

from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.moderation.models import Action, AuditEntry
from tests.articles.test_views import FORM, text_of
from tests.conftest import login, post_form

SLUG = "tides-of-the-outer-islands"


def log() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_writing_and_editing_an_article_are_logged_with_what_changed(client, admin):
    login(client, admin)
    post_form(client, "/articles/new", FORM, page="/articles/new")

    (written,) = log()
    assert written.action == Action.ADMIN and written.actor_id == admin.id
    assert written.subject == "Wrote the article “Tides of the Outer Islands”"

    edit = f"/articles/{SLUG}/edit"
    changed = {
        **FORM,
        "title": "Tides Around the Islands",
        "body_md": "Two tides a day.",
        "group_lines": "",
        "is_hidden": "y",
    }
    assert post_form(client, edit, changed, page=edit).status_code == 302

    edited = log()[-1]
    assert edited.subject == "Edited the article “Tides Around the Islands”"
    assert edited.reason.splitlines() == [
        "title: “Tides of the Outer Islands” → “Tides Around the Islands”",
        "hidden from readers: “no” → “yes”",
        "discussion groups: “Coastal Walkers Discussion group” → “”",
        "text changed",
    ]
    assert edited.before_text == FORM["body_md"]
    assert edited.after_text == "Two tides a day."

    # The moderators read it in the log.
    page = text_of(client.get("/moderation/log"))
    assert "Edited the article “Tides Around the Islands”" in page


def test_saving_an_unchanged_article_logs_nothing(client, admin):
    login(client, admin)
    post_form(client, "/articles/new", FORM, page="/articles/new")
    edit = f"/articles/{SLUG}/edit"

    assert post_form(client, edit, FORM, page=edit).status_code == 302

    assert [entry.subject for entry in log()] == ["Wrote the article “Tides of the Outer Islands”"]


def test_a_refused_edit_logs_nothing(client, admin):
    login(client, admin)
    post_form(client, "/articles/new", FORM, page="/articles/new")
    edit = f"/articles/{SLUG}/edit"

    refused = post_form(client, edit, {**FORM, "figure_lines": "a | b | c | d"}, page=edit)

    assert refused.status_code == 400
    assert len(log()) == 1


def test_the_groups_listed_in_another_order_are_no_change(client, admin):
    """The editor keeps the order the lines were typed in; the article reads its groups back
    by name. Saving the same groups is no change to log."""
    login(client, admin)
    form = {**FORM, "group_lines": "Zeta Readers\nAlpha Readers"}
    post_form(client, "/articles/new", form, page="/articles/new")
    edit = f"/articles/{SLUG}/edit"

    assert post_form(client, edit, form, page=edit).status_code == 302

    assert [entry.subject for entry in log()] == ["Wrote the article “Tides of the Outer Islands”"]
