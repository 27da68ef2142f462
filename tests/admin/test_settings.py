"""Site settings: stored in the database, shown at once, refused with the input kept."""

from __future__ import annotations

import pytest

from forum.admin.models import SiteSetting
from forum.admin.settings import get_setting
from forum.extensions import db
from forum.moderation.policy import site_policy
from tests.admin.conftest import admin_log
from tests.conftest import login, post_form

VALID = {
    "site_name": "Decisions Forum",
    "site_description": "Where the reading group talks.",
    "registration": "open",
    "mode": "none",
    "new_user_posts": "5",
    "flag_threshold": "2",
    "hold_links": "y",
    "auto_close_days": "30",
    "embed_sites": "https://blog.example.org/\nhttps://blog.example.org",
    "ip_retention_days": "14",
}


def _save(client, **changes):
    return post_form(client, "/admin/settings", {**VALID, **changes}, page="/admin/settings")


def test_defaults_come_from_the_configuration(app):
    assert get_setting("site_name") == app.config["SITE_NAME"]
    assert get_setting("registration") == "open"
    assert get_setting("auto_close_days") == 0
    assert get_setting("read_only") is False


def test_saved_settings_are_used_everywhere_and_logged(client, admin):
    login(client, admin)
    response = _save(client)
    assert response.status_code == 302
    assert get_setting("site_name") == "Decisions Forum"
    assert get_setting("embed_sites") == ["https://blog.example.org"]
    assert get_setting("ip_retention_days") == 14
    # The moderation settings went to the site's moderation policy, which posting reads.
    policy = site_policy()
    assert (policy.mode.value, policy.new_user_posts, policy.flag_threshold) == ("none", 5, 2)
    home = client.get("/").get_data(as_text=True)
    assert "<title>Decisions Forum</title>" in home
    assert 'content="Where the reading group talks."' in home
    form = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="Decisions Forum"' in form
    entries = admin_log()
    assert [entry.subject for entry in entries] == ["Site settings"]
    assert "site_name: 'Forum' → 'Decisions Forum'" in entries[0].reason


def test_saving_unchanged_settings_logs_nothing_new(client, admin):
    login(client, admin)
    _save(client)
    _save(client)
    assert len(admin_log()) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("site_name", "   ", "Give the site a name."),
        ("embed_sites", "blog.example.org/comments", "is not a site&#39;s address"),
        ("auto_close_days", "-3", "Use 0 to 3650 days."),
        ("registration", "sometimes", "Not a valid choice"),
    ],
)
def test_bad_settings_are_refused_beside_the_field(client, admin, field, value, message):
    login(client, admin)
    response = _save(client, **{field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "Where the reading group talks." in html  # the rest of the input is kept
    assert get_setting("site_name") != "Decisions Forum"


def test_the_read_only_switch(client, admin, reader, discussion):
    login(client, admin)
    _save(client, read_only="y")
    assert get_setting("read_only") is True
    reader_client = client.application.test_client()
    login(reader_client, reader)
    response = post_form(
        reader_client,
        f"/discussions/{discussion.id}/posts",
        {"body": "Posting while the site is read-only."},
    )
    assert response.status_code == 403
    assert "read-only" in response.get_data(as_text=True)


def test_another_process_change_is_seen_once_the_cache_expires(app):
    """Another process writes the row; this one sees it when its copy expires."""
    assert get_setting("site_name") == "Forum"
    db.session.add(SiteSetting(name="site_name", value='"Elsewhere"'))
    db.session.commit()
    assert get_setting("site_name") == "Forum"  # kept: under TESTING nothing expires by time
    app.config["SETTINGS_CACHE_SECONDS"] = 0
    try:
        assert get_setting("site_name") == "Elsewhere"
    finally:
        del app.config["SETTINGS_CACHE_SECONDS"]
