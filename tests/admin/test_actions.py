"""What an admin does to people, articles and groups, and the audit row each action leaves."""

from __future__ import annotations

from sqlalchemy import select

from forum.accounts.models import Role
from forum.admin.services import close_stale_discussions
from forum.core.db import utc_now
from forum.extensions import db
from forum.groups.models import JoinPolicy, MemberRole, Membership
from forum.moderation.models import Action, AuditEntry
from tests import factories
from tests.admin.conftest import admin_log
from tests.conftest import login, post_form


def _post(client, url: str, data: dict | None = None, page: str = "/admin/"):
    return post_form(client, url, data or {}, page=page)


# People -------------------------------------------------------------------------------------


def test_search_finds_people_by_name_or_address(client, admin, reader, other_reader):
    login(client, admin)
    html = client.get("/admin/users?q=RITA").get_data(as_text=True)
    assert "Rita Reader" in html and "Otto Other" not in html
    html = client.get("/admin/users?q=other@example").get_data(as_text=True)
    assert "Otto Other" in html and "Rita Reader" not in html
    html = client.get("/admin/users?q=100%25").get_data(as_text=True)
    assert "No account matches “100%”." in html


def test_verify_and_change_role(client, admin, unverified):
    login(client, admin)
    _post(client, f"/admin/users/{unverified.id}/verify")
    _post(client, f"/admin/users/{unverified.id}/role", {"role": "moderator"})
    db.session.expire_all()
    assert unverified.is_verified and unverified.role is Role.MODERATOR
    subjects = [entry.subject for entry in admin_log()]
    assert subjects == ["Verified the email address of Nina New", "Role of Nina New"]
    assert admin_log()[1].reason == "reader → moderator"


def test_an_admin_cannot_demote_themselves(client, admin):
    login(client, admin)
    response = _post(client, f"/admin/users/{admin.id}/role", {"role": "reader"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cannot take away your own administrator role" in page
    db.session.expire_all()
    assert admin.role is Role.ADMIN


def test_suspend_and_ban_go_through_moderation(client, admin, reader, other_reader):
    login(client, admin)
    response = _post(
        client,
        f"/admin/users/{reader.id}/suspend",
        {"suspend-until": "2999-01-01", "suspend-reason": "Cooling off."},
    )
    assert response.status_code == 302
    _post(client, f"/admin/users/{other_reader.id}/ban", {"ban-reason": "Spam, again."})
    db.session.expire_all()
    assert reader.is_banned() and reader.banned_until is not None
    assert other_reader.is_banned() and other_reader.banned_until is None
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [Action.SUSPEND, Action.BAN]


def test_a_ban_without_a_reason_is_refused_beside_the_field(client, admin, reader):
    login(client, admin)
    response = _post(client, f"/admin/users/{reader.id}/ban", {"ban-reason": ""})
    assert response.status_code == 422
    assert "Give a reason: the person is told it." in response.get_data(as_text=True)
    db.session.expire_all()
    assert not reader.is_banned()


def test_delete_an_account(client, admin, reader, discussion):
    factories.make_post(discussion, reader, "Kept after the author leaves.")
    login(client, admin)
    refused = _post(client, f"/admin/users/{reader.id}/delete", {"posts": "keep"})
    assert refused.status_code == 422  # the box was not ticked
    response = _post(client, f"/admin/users/{reader.id}/delete", {"posts": "keep", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert reader.is_deleted and reader.display_name == "Deleted member"
    thread = client.get(f"/articles/{discussion.article.slug}").get_data(as_text=True)
    assert "Kept after the author leaves." in thread and "Rita Reader" not in thread
    assert admin_log()[-1].subject == f"Deleted account {reader.id}"


def test_invitations_let_people_register_while_registration_is_by_invitation(client, admin, outbox):
    login(client, admin)
    settings_form = client.get("/admin/settings")
    assert settings_form.status_code == 200
    _post(
        client,
        "/admin/settings",
        {
            "site_name": "Forum",
            "registration": "invitation",
            "mode": "new_users",
            "new_user_posts": "3",
            "flag_threshold": "3",
            "auto_close_days": "0",
            "ip_retention_days": "30",
        },
    )
    response = _post(client, "/admin/users/invite", {"email": "guest@example.org"})
    assert response.status_code == 302
    [message] = outbox
    assert message.to == ["guest@example.org"]
    link = next(word for word in message.body.split() if "/auth/register?invitation=" in word)
    path = link.removeprefix("http://forum.test")

    visitor = client.application.test_client()
    assert visitor.get("/auth/register").status_code == 403
    form = visitor.get(path)
    assert form.status_code == 200 and 'value="guest@example.org"' in form.get_data(as_text=True)
    wrong = post_form(
        visitor,
        path,
        {"email": "someone@example.org", "display_name": "Gus", "password": "a long password"},
        page=path,
    )
    assert wrong.status_code == 422
    assert "This invitation is for guest@example.org" in wrong.get_data(as_text=True)
    done = post_form(
        visitor,
        path,
        {"email": "guest@example.org", "display_name": "Gus Guest", "password": "a long password"},
        page=path,
    )
    assert done.status_code == 302
    assert len(outbox) == 1  # the invitation proved the address: no confirmation email
    assert visitor.get(path.replace("invitation=", "invitation=x")).status_code == 400


def test_closed_registration(client, admin):
    login(client, admin)
    _post(
        client,
        "/admin/settings",
        {
            "site_name": "Forum",
            "registration": "closed",
            "mode": "new_users",
            "new_user_posts": "3",
            "flag_threshold": "3",
            "auto_close_days": "0",
            "ip_retention_days": "30",
        },
    )
    visitor = client.application.test_client()
    page = visitor.get("/auth/register")
    assert page.status_code == 403
    assert "Registration is closed on this site for now." in page.get_data(as_text=True)


# Articles -----------------------------------------------------------------------------------


def test_hide_and_show_an_article(client, admin, reader, article):
    login(client, admin)
    _post(client, f"/admin/articles/{article.id}/hide")
    reader_client = client.application.test_client()
    login(reader_client, reader)
    assert reader_client.get(f"/articles/{article.slug}").status_code == 404
    assert client.get(f"/articles/{article.slug}").status_code == 200  # admins still see it
    _post(client, f"/admin/articles/{article.id}/show")
    assert reader_client.get(f"/articles/{article.slug}").status_code == 200
    assert [entry.subject for entry in admin_log()] == [
        "Hid the article “Beijing Signals”",
        "Showed again the article “Beijing Signals”",
    ]


def test_close_and_reopen_a_discussion(client, admin, discussion):
    login(client, admin)
    _post(client, f"/admin/discussions/{discussion.id}/close")
    db.session.expire_all()
    assert discussion.is_locked
    _post(client, f"/admin/discussions/{discussion.id}/reopen")
    db.session.expire_all()
    assert not discussion.is_locked
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [Action.LOCK, Action.UNLOCK]


def test_discussions_close_by_themselves_after_the_set_days(admin, article, discussion):
    from forum.admin import services
    from forum.admin.services import SiteValues

    article.published_at = utc_now().replace(year=2020)
    db.session.commit()
    assert close_stale_discussions() == 0  # 0 days: never
    services.save_settings(
        admin,
        SiteValues("Forum", "", "open", 30, "", 30, "new_users", 3, 3, True, False),
    )
    db.session.commit()
    assert close_stale_discussions() == 1
    db.session.commit()
    assert discussion.is_locked
    assert close_stale_discussions() == 0


# Groups -------------------------------------------------------------------------------------


def test_create_a_group_appoint_an_organiser_and_archive_it(client, admin, reader):
    login(client, admin)
    response = _post(
        client,
        "/admin/groups",
        {"name": "Tuesday Readers", "visibility": "public", "join_policy": "open"},
    )
    assert response.status_code == 302
    from forum.groups.models import Group

    group = db.session.scalar(select(Group).where(Group.slug == "tuesday-readers"))
    _post(client, f"/admin/groups/{group.id}/organisers", {"email": reader.email})
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == reader.id)
    )
    assert membership.role is MemberRole.ORGANISER
    unknown = _post(client, f"/admin/groups/{group.id}/organisers", {"email": "no@example.org"})
    page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert "There is no account with the email address no@example.org." in page

    _post(client, f"/admin/groups/{group.id}/archive")
    db.session.expire_all()
    assert group.join_policy is JoinPolicy.INVITE
    assert "Tuesday Readers</a> (archived)" in client.get("/admin/groups").get_data(as_text=True)
    assert [entry.subject for entry in admin_log()] == [
        "Created the group Tuesday Readers",
        "Appointed an organiser of Tuesday Readers",
        "Archived the group Tuesday Readers",
    ]


def test_a_group_form_with_errors_keeps_the_input(client, admin):
    login(client, admin)
    response = _post(
        client, "/admin/groups", {"name": "", "description": "Kept text", "visibility": "public"}
    )
    assert response.status_code == 422
    assert "Kept text" in response.get_data(as_text=True)
