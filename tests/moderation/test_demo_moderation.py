"""The demo gives the moderation pages something real to show, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from forum.accounts.queries import find_user_by_email
from forum.demo.services import load_demo
from forum.extensions import db
from forum.moderation import queries
from forum.moderation.demo import NEWCOMER, REGULAR
from forum.moderation.models import Action, AuditEntry
from forum.moderation.permissions import pending_warning


def test_the_demo_fills_the_queue_and_the_log_once(client):
    now = datetime(2030, 3, 4, 12, tzinfo=UTC)
    load_demo(lambda message: None, now=now)
    db.session.commit()
    moderator = find_user_by_email("moderator@example.com")
    counts = queries.queue_counts(moderator, now)
    # Two newcomer's posts and one hidden by flags wait; two posts have open flags.
    assert counts == {"pending": 3, "flagged": 2, "rejected": 1, "approved": 0}
    pending = queries.moderation_queue(moderator, now=now)
    labels = {label for item in pending.items for label in item.post.hold_labels}
    assert {"new user", "link from a new user", "flags ×3"} <= labels
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {Action.REJECT, Action.WARN, Action.HIDE, Action.FEATURE} <= actions
    assert pending_warning(find_user_by_email(REGULAR[0])) is not None
    assert find_user_by_email(NEWCOMER[0]) is not None

    entries = db.session.scalar(select(func.count(AuditEntry.id)))
    load_demo(lambda message: None, now=now)
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
