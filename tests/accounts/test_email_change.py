"""Changing the email address: nothing changes until the link sent to the new address is used."""

from __future__ import annotations

from forum.extensions import db
from tests import factories
from tests.accounts.conftest import link_in
from tests.conftest import PASSWORD, login, post_form


def ask_for_change(client, new_email: str, password: str = PASSWORD):
    return post_form(
        client,
        "/settings/email",
        {"new_email": new_email, "current_password": password},
        page="/settings/email",
    )


def test_the_address_changes_when_the_new_one_is_confirmed(client, reader, outbox):
    login(client, reader)
    response = ask_for_change(client, "rita@new.example")
    assert response.headers["Location"] == "/settings"
    db.session.expire_all()
    assert reader.email == "reader@example.org", "not before the link is followed"

    [message] = outbox
    assert message.to == ["rita@new.example"]
    assert message.subject == "Confirm your new email address for Forum"
    path = link_in(message)

    response = client.get(path)
    assert response.headers["Location"] == "/settings"
    db.session.expire_all()
    assert reader.email == "rita@new.example"
    assert reader.is_verified
    assert "Your email address is now rita@new.example" in client.get("/settings").get_data(
        as_text=True
    )

    # The old address is told, in case this was not its owner's doing.
    notice = outbox[1]
    assert notice.to == ["reader@example.org"]
    assert "is now rita@new.example instead of reader@example.org" in notice.body

    # Logging in now takes the new address.
    post_form(client, "/auth/logout", {})
    response = post_form(
        client, "/auth/login", {"email": "reader@example.org", "password": PASSWORD}
    )
    assert response.status_code == 422
    login(client, reader)

    # The link has done its work.
    response = client.get(path)
    assert response.status_code == 410
    assert "already been used" in response.get_data(as_text=True)


def test_a_changed_address_of_an_unverified_member_is_verified_by_the_link(
    client, unverified, outbox
):
    login(client, unverified)
    ask_for_change(client, "nina@new.example")
    client.get(link_in(outbox[0]))
    db.session.expire_all()
    assert (unverified.email, unverified.is_verified) == ("nina@new.example", True)


def test_a_taken_address_or_wrong_password_is_refused_beside_the_field(
    client, reader, other_reader, outbox
):
    login(client, reader)
    response = ask_for_change(client, "OTHER@example.org")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="new_email-error"' in page
    assert "An account already uses this email address" in page
    assert 'value="OTHER@example.org"' in page

    response = ask_for_change(client, "rita@new.example", "wrong password")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert 'value="rita@new.example"' in page

    response = ask_for_change(client, "reader@example.org")
    assert "That is already your email address." in response.get_data(as_text=True)
    assert outbox == []


def test_the_address_must_still_be_free_when_the_link_is_used(client, reader, outbox):
    login(client, reader)
    ask_for_change(client, "rita@new.example")
    factories.make_user("rita@new.example", "Quick Claimant")
    response = client.get(link_in(outbox[0]))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Another account has started using this email address" in page
    assert "Start the email change again" in page
    db.session.expire_all()
    assert reader.email == "reader@example.org"


def test_changing_the_email_needs_a_login(client):
    response = client.get("/settings/email")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/settings/email")
