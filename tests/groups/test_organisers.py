"""A group keeps an organiser, under one rule for every way out (leaving, stepping down,
deleting the account), an archived group excepted; two organisers deleting their accounts at
the same moment cannot both go. And the admin area names a group's settings as the group's
own settings page does."""

from __future__ import annotations

import re
import threading
import time

import pytest

from forum.accounts import privacy
from forum.accounts.models import User
from forum.admin import services as admin_services
from forum.core.errors import ValidationFailed
from forum.extensions import db
from forum.groups import services
from forum.groups.models import MemberRole, MemberState
from forum.groups.permissions import membership_of
from tests import factories
from tests.conftest import login
from tests.groups.conftest import make_membership


def test_the_last_organiser_of_an_archived_group_may_leave_or_step_down(
    group, organiser, admin, reader
):
    with pytest.raises(ValidationFailed, match="needs an organiser"):
        services.leave_group(organiser, group)
    admin_services.archive_group(admin, group)
    db.session.commit()

    services.add_member(None, group, organiser, MemberRole.MEMBER)
    assert membership_of(organiser, group).role is MemberRole.MEMBER
    services.leave_group(organiser, group)
    assert membership_of(organiser, group) is None


def test_an_organiser_who_is_not_active_is_no_organiser_to_keep(group, organiser):
    second = factories.make_user("second@example.org", "Sam Second")
    make_membership(group, second, MemberRole.ORGANISER, MemberState.PENDING)
    with pytest.raises(ValidationFailed, match="needs an organiser"):
        services.add_member(None, group, organiser, MemberRole.MODERATOR)


def test_two_organisers_deleting_their_accounts_at_once_leave_one(app, group, organiser):
    """Ann's deletion has written and is about to commit when Bob's starts: Bob's check waits
    for Ann's commit and then finds him the last organiser. (Without the lock his check would
    count Ann, whose membership is not gone yet for anyone but her, and both would go.)"""
    second = factories.make_user("second@example.org", "Sam Second")
    make_membership(group, second, MemberRole.ORGANISER)
    ids = {"first": organiser.id, "second": second.id}
    db.session.commit()

    first_wrote = threading.Event()
    second_started = threading.Event()
    outcome: dict[str, str] = {}

    def delete(who: str) -> None:
        with app.app_context():
            try:
                if who == "second":
                    assert first_wrote.wait(20)
                    second_started.set()
                user = db.session.get(User, ids[who])
                privacy.delete_account(user, user, keep_posts=True)
                if who == "first":
                    first_wrote.set()
                    # Give the second deletion time to reach its check before this commits.
                    assert second_started.wait(20)
                    time.sleep(0.5)
                db.session.commit()
                outcome[who] = "deleted"
            except ValidationFailed as refusal:
                db.session.rollback()
                outcome[who] = refusal.message
            except Exception as error:  # reported below, with its kind
                db.session.rollback()
                outcome[who] = repr(error)
            finally:
                first_wrote.set()
                second_started.set()
                db.session.remove()

    racers = [threading.Thread(target=delete, args=(who,)) for who in ids]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)

    assert outcome["first"] == "deleted"
    assert "only organiser of Great Decisions Discussion group" in outcome["second"]
    db.session.expire_all()
    assert db.session.get(User, second.id).is_deleted is False
    assert membership_of(db.session.get(User, second.id), group).role is MemberRole.ORGANISER


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_admin_area_names_visibility_and_joining_as_the_group_settings_do(client, admin, group):
    make_membership(group, admin, MemberRole.ORGANISER)
    login(client, admin)
    for headers in ({}, {"Accept-Language": "fr"}):
        in_admin = client.get("/admin/groups", headers=headers).get_data(as_text=True)
        in_group = client.get(f"/groups/{group.slug}/edit", headers=headers)
        for name in ("visibility", "join_policy"):
            assert _options(in_admin, name) == _options(in_group.get_data(as_text=True), name)
    assert _options(in_admin, "visibility") != ["Public", "Members only"]  # French
    in_admin = client.get("/admin/groups").get_data(as_text=True)
    assert _options(in_admin, "visibility") == ["Public", "Members only"]
    assert "By request: organisers approve" in _options(in_admin, "join_policy")
