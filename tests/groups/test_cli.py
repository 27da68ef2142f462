from __future__ import annotations

from sqlalchemy import select

from forum.extensions import db
from forum.groups.models import MemberRole, Membership, MemberState


def _membership(group, user):
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )


def test_add_member_with_a_role(app, group, reader):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["groups", "add-member", group.slug, "READER@example.org", "--role", "organiser"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Rita Reader <reader@example.org> is in Great Decisions Discussion group" in result.output
    )
    membership = _membership(group, reader)
    assert (membership.role, membership.state) == (MemberRole.ORGANISER, MemberState.ACTIVE)


def test_add_member_defaults_to_member(app, group, reader):
    result = app.test_cli_runner().invoke(args=["groups", "add-member", group.slug, reader.email])
    assert result.exit_code == 0, result.output
    assert _membership(group, reader).role is MemberRole.MEMBER


def test_unknown_group_or_email_exits_1_with_a_message(app, group, reader):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["groups", "add-member", "no-such-group", reader.email])
    assert result.exit_code == 1
    assert "There is no group with the slug 'no-such-group'." in result.output

    result = runner.invoke(args=["groups", "add-member", group.slug, "nobody@example.org"])
    assert result.exit_code == 1
    assert "There is no account with the email address 'nobody@example.org'." in result.output
    assert _membership(group, reader) is None


def test_unknown_role_is_refused_by_the_command(app, group, reader):
    result = app.test_cli_runner().invoke(
        args=["groups", "add-member", group.slug, reader.email, "--role", "chair"]
    )
    assert result.exit_code == 2
    assert "'chair' is not one of" in result.output
