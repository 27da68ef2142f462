"""Settings and profiles: who may change what, what is checked, and what the profile shows."""

from __future__ import annotations

import pytest

from forum.accounts.models import DigestFrequency
from forum.discussions.models import PostState
from forum.extensions import db
from tests import factories
from tests.conftest import login, post_form

SETTINGS = {
    "display_name": "Rita R. Reader",
    "bio": "Reads <b>everything</b>.",
    "timezone": "Europe/Berlin",
    "digest_frequency": "weekly",
}


def test_saving_settings(client, reader):
    login(client, reader)
    page = client.get("/settings").get_data(as_text=True)
    assert '<h1 id="settings-title">Settings</h1>' in page
    for label in ("Display name", "About you", "Time zone", "Email digest of new posts"):
        assert f">{label}</label>" in page
    assert "Save settings</button>" in page
    assert '<option selected value="UTC">UTC</option>' in page

    response = post_form(client, "/settings", SETTINGS, page="/settings")
    assert response.headers["Location"] == "/settings"
    db.session.expire_all()
    assert reader.display_name == "Rita R. Reader"
    assert reader.bio == "Reads <b>everything</b>."
    assert reader.timezone == "Europe/Berlin"
    assert reader.digest_frequency is DigestFrequency.WEEKLY
    assert reader.username == "rita-reader", "the profile address stays"
    page = client.get("/settings").get_data(as_text=True)
    assert "The settings are saved." in page
    assert '<option selected value="Europe/Berlin">' in page
    assert '<option selected value="weekly">Weekly</option>' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Choose a time zone from the list."),
        ("digest_frequency", "hourly", "Choose off, daily or weekly."),
        ("display_name", "  ", "Enter the name others will see"),
        ("bio", "x" * 2001, "Keep it under 2,000 characters."),
    ],
)
def test_bad_settings_are_refused_beside_the_field(client, reader, field, value, message):
    login(client, reader)
    response = post_form(client, "/settings", {**SETTINGS, field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert message in page
    if field != "display_name":
        assert 'value="Rita R. Reader"' in page, "the other fields are kept"
    db.session.expire_all()
    assert (reader.display_name, reader.timezone) == ("Rita Reader", "UTC")


# persona -> status for /users/rita-reader/settings (Rita's settings)
PERMISSIONS = [
    (None, 302),
    ("reader", 200),
    ("other_reader", 403),
    ("admin", 200),
]


@pytest.mark.parametrize(("persona", "status"), PERMISSIONS)
def test_who_may_edit_a_members_settings(request, client, reader, persona, status):
    if persona is not None:
        login(client, request.getfixturevalue(persona))
    url = f"/users/{reader.username}/settings"
    response = client.get(url)
    assert response.status_code == status
    if persona == "admin":
        assert "Settings of Rita Reader</h1>" in response.get_data(as_text=True)
    response = post_form(client, url, {**SETTINGS, "display_name": f"Set by {persona}"})
    assert response.status_code == (302 if status == 200 else status)
    db.session.expire_all()
    assert (reader.display_name == f"Set by {persona}") is (status == 200)
    if persona is None:
        assert response.headers["Location"].startswith("/auth/login")


def test_settings_need_a_login(client):
    response = client.get("/settings")
    assert response.headers["Location"] == "/auth/login?next=/settings"


def test_the_profile_shows_the_member_and_their_posts(client, app, reader, other_reader):
    reader.bio = "Reads <script>alert(1)</script>\nevery morning."
    db.session.commit()
    article = factories.make_article("Signals Across the Yalu")
    discussion = factories.public_discussion(article)
    mine = factories.make_post(discussion, reader, "My **first** thought.")
    factories.make_post(discussion, other_reader, "Somebody else's.")
    factories.make_post(discussion, reader, "Still under review.", state=PostState.PENDING)

    response = client.get("/users/rita-reader")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 id="profile-title">Rita Reader</h1>' in page
    assert "Member since <time" in page
    assert "Reads &lt;script&gt;alert(1)&lt;/script&gt;<br>every morning." in page
    assert f'href="/posts/{mine.id}">On “Signals Across the Yalu”</a>' in page
    assert "<strong>first</strong>" in page
    assert "Somebody else" not in page
    assert "Still under review." not in page
    assert "Edit settings" not in page

    login(client, reader)
    page = client.get("/users/rita-reader").get_data(as_text=True)
    assert "Still under review." in page and "awaiting review" in page
    assert 'href="/settings">Edit settings</a>' in page


def test_the_profile_pages_its_posts(client, app, reader):
    discussion = factories.public_discussion(factories.make_article())
    per_page = app.config["POSTS_PER_PAGE"]
    for number in range(per_page + 1):
        factories.make_post(discussion, reader, f"Post number {number}.")
    first = client.get("/users/rita-reader").get_data(as_text=True)
    assert "Post number 0." not in first and f"Post number {per_page}." in first
    assert 'href="/users/rita-reader?page=2"' in first
    second = client.get("/users/rita-reader?page=2").get_data(as_text=True)
    assert "Post number 0." in second


def test_an_unknown_member_is_404(client):
    response = client.get("/users/nobody-here")
    assert response.status_code == 404
    assert "There is no member with that name." in response.get_data(as_text=True)
