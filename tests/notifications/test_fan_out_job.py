"""A published post's notifications are made by a queued job once the post is committed, so
a reply to a discussion with thousands of followers costs the worker, not the request."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.accounts.models import User
from forum.discussions.services import post_reply, set_following
from forum.extensions import db
from forum.notifications import jobs
from forum.notifications.models import Kind, Notification
from tests import factories
from tests.conftest import count_queries
from tests.notifications.conftest import make_mail_app, trust


def _notifications() -> list[tuple[int, str, int]]:
    rows = db.session.execute(
        select(Notification.user_id, Notification.kind, Notification.post_id).order_by(
            Notification.id
        )
    )
    return [tuple(row) for row in rows]


def test_the_reply_queues_a_job_and_the_worker_tells_everyone_once(
    app, reader, other_reader, tmp_path, monkeypatch
):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    # Read in the test's own context: touched inside the other app's, the test's session would
    # borrow a connection of that app's engine and keep it past its disposal.
    reader_id, other_id = reader.id, other_reader.id
    web = make_mail_app(app, "locmem://")
    with web.app_context():
        huey = jobs.get_huey(web)
        follower = factories.make_user("follower@example.org", "Fay Follower")
        author, replier = db.session.get(User, reader_id), db.session.get(User, other_id)
        trust(author, replier)
        discussion = factories.public_discussion(factories.make_article())
        set_following(follower, discussion, True)
        root = factories.make_post(discussion, author, "The opening post.")
        db.session.commit()
        huey.flush()

        reply = post_reply(replier, discussion, root, "A reply for @rita-reader.")
        db.session.commit()
        assert _notifications() == [], "nobody is told inside the request"
        assert huey.pending_count() == 1

        task = huey.dequeue()
        huey.execute(task)
        expected = [
            (reader_id, Kind.REPLY, reply.id),
            (follower.id, Kind.FOLLOWED_POST, reply.id),
        ]
        assert sorted(_notifications()) == sorted(expected)
        assert other_id not in {user_id for user_id, _, _ in _notifications()}

        # A retried or duplicated job tells nobody twice.
        huey.execute(task)
        assert sorted(_notifications()) == sorted(expected)
        huey.flush()
        db.session.remove()
        db.engine.dispose()


def test_a_rolled_back_or_held_post_queues_nothing(
    app, reader, other_reader, tmp_path, monkeypatch
):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    reader_id = reader.id
    web = make_mail_app(app, "locmem://")
    with web.app_context():
        huey = jobs.get_huey(web)
        author = db.session.get(User, reader_id)
        trust(author)
        discussion = factories.public_discussion(factories.make_article())
        db.session.commit()
        huey.flush()

        post_reply(author, discussion, None, "Never saved.")
        db.session.rollback()
        db.session.commit()
        assert huey.pending_count() == 0

        # A new member's first post waits for a moderator; approval tells people then.
        newcomer = factories.make_user("newcomer@example.org", "Nell Newcomer")
        held = post_reply(newcomer, discussion, None, "My first post.")
        db.session.commit()
        assert held.is_pending
        assert huey.pending_count() == 0
        db.session.remove()
        db.engine.dispose()


def test_the_requests_reads_do_not_grow_with_followers(reader, other_reader):
    trust(other_reader)

    def statements_for(followers: int, title: str) -> int:
        discussion = factories.public_discussion(factories.make_article(title))
        for n in range(followers):
            person = factories.make_user(f"f{title[:3]}{n}@example.org", f"Fan {title} {n}")
            set_following(person, discussion, True)
        db.session.commit()
        with count_queries() as statements:
            post = post_reply(other_reader, discussion, None, f"News on {title}.")
        told = select(func.count()).where(Notification.post_id == post.id)
        assert db.session.scalar(told) == 0, "the followers are told after the commit"
        db.session.commit()
        # Tests run jobs at once (JOBS_IMMEDIATE): the commit ran it.
        assert db.session.scalar(told) == followers
        return len(statements)

    assert statements_for(2, "Few Fans") == statements_for(20, "Many Fans")
