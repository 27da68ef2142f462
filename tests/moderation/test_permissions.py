"""Who may do each moderation action, over HTTP, on a group's discussion.

Rows are personas; each action is tried on fresh content in group A's discussion. "ok" means
the action was done (the response and the data say so); "login" a redirect to log in; 403 and
404 are refusals (404 where the person may not even know a held post exists).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.core.db import utc_now
from forum.discussions.models import PostState
from forum.extensions import db
from forum.moderation import services
from forum.moderation.models import AuthorWarning, FeaturedPost
from forum.moderation.permissions import is_banned_from_group
from tests import factories
from tests.conftest import csrf_token, login
from tests.moderation.conftest import make_pending

PERSONAS = (
    "anonymous",
    "reader",
    "group_member",
    "other_group_moderator",
    "group_moderator",
    "moderator",
    "admin",
)

# persona -> expected outcome, in PERSONAS order.
MATRIX = {
    "view_queue": ("login", 403, 403, "ok", "ok", "ok", "ok"),
    "approve": ("login", 403, 403, 403, "ok", "ok", "ok"),
    "reject": ("login", 403, 403, 403, "ok", "ok", "ok"),
    "edit_and_approve": ("login", 404, 404, 404, "ok", "ok", "ok"),
    "delete": ("login", 403, 403, 403, "ok", "ok", "ok"),
    "lock": ("login", 403, 403, 403, "ok", "ok", "ok"),
    "suspend": ("login", 403, 403, 403, 403, "ok", "ok"),
    "ban": ("login", 403, 403, 403, 403, "ok", "ok"),
    "bulk_approve": ("login", 403, 403, "none", "ok", "ok", "ok"),
    "view_log": ("login", 403, 403, "ok", "ok", "ok", "ok"),
    "export_log": ("login", 403, 403, 403, 403, 403, "ok"),
    "edit_policy": ("login", 403, 403, 403, 403, 403, "ok"),
    "warn": ("login", 403, 403, 403, "ok", "ok", "ok"),
    "feature": ("login", 403, 403, 403, "ok", "ok", "ok"),
    "ban_from_group": ("login", 403, 403, 403, "ok", "ok", "ok"),
}


def make_content(discussion, flagger, n: int) -> dict:
    """A flagged published post and a held post in group A, by a fresh author."""
    author = factories.make_user(f"author{n}@example.org", f"Abe Author {n}")
    flagged = factories.make_post(discussion, author, "Flagged words.")
    services.flag_post(flagger, flagged, "abuse")
    held = make_pending(discussion, author, "Held words.")
    db.session.commit()
    return {"flagged": flagged, "held": held, "author": author, "discussion": discussion}


def act(client, action: str, content: dict):
    """Do ``action`` as the client's user; return the response."""
    token = csrf_token(client, "/auth/login")
    flagged, held, author = content["flagged"], content["held"], content["author"]

    def post(url, **data):
        return client.post(url, data={"csrf_token": token, **data})

    until = (utc_now() + timedelta(days=2)).date().isoformat()
    return {
        "view_queue": lambda: client.get("/moderation/"),
        "approve": lambda: post(f"/moderation/posts/{flagged.id}/approve"),
        "reject": lambda: post(f"/moderation/posts/{flagged.id}/reject", reason="Rude"),
        "edit_and_approve": lambda: post(
            f"/moderation/posts/{held.id}/edit", body="Edited words.", reason=""
        ),
        "delete": lambda: post(f"/moderation/posts/{flagged.id}/delete", reason=""),
        "lock": lambda: post(f"/moderation/discussions/{content['discussion'].id}/lock"),
        "suspend": lambda: post(
            f"/moderation/users/{author.id}/suspend", until=until, reason="Cool off"
        ),
        "ban": lambda: post(f"/moderation/users/{author.id}/ban", reason="Spam"),
        "bulk_approve": lambda: post("/moderation/bulk", post_id=str(held.id), action="approve"),
        "view_log": lambda: client.get("/moderation/log"),
        # Buffered: the CSV streams, and the test reads it while the request is current.
        "export_log": lambda: client.get("/moderation/log.csv", buffered=True),
        "edit_policy": lambda: client.get("/moderation/policy"),
        "warn": lambda: post(f"/moderation/posts/{flagged.id}/warn", message="Calm down"),
        "feature": lambda: post(f"/moderation/posts/{flagged.id}/feature", featured="1"),
        "ban_from_group": lambda: post(
            f"/moderation/groups/{content['discussion'].group_id}/ban/{author.id}", reason="Spam"
        ),
    }[action]()


def was_done(action: str, content: dict) -> bool:
    db.session.expire_all()
    flagged, held, author = content["flagged"], content["held"], content["author"]
    return {
        "approve": lambda: not services._open_flag_count(flagged),
        "reject": lambda: flagged.state is PostState.REJECTED,
        "edit_and_approve": lambda: held.state is PostState.PUBLISHED,
        "delete": lambda: flagged.state is PostState.DELETED,
        "lock": lambda: content["discussion"].is_locked,
        "suspend": lambda: author.is_banned() and author.banned_until is not None,
        "ban": lambda: author.is_banned() and author.banned_until is None,
        "bulk_approve": lambda: held.state is PostState.PUBLISHED,
        "warn": lambda: (
            db.session.scalar(select(AuthorWarning).where(AuthorWarning.user_id == author.id))
            is not None
        ),
        "feature": lambda: db.session.get(FeaturedPost, flagged.id) is not None,
        "ban_from_group": lambda: is_banned_from_group(author, content["discussion"].group_id),
    }.get(action, lambda: True)()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_permission_matrix(request, client, group_discussion, persona):
    flagger = factories.make_user("flagger@example.org", "Fay Flagger")
    if persona != "anonymous":
        login(client, request.getfixturevalue(persona))
    for n, (action, outcomes) in enumerate(MATRIX.items()):
        expected = outcomes[PERSONAS.index(persona)]
        content = make_content(db.session.merge(group_discussion), flagger, n)
        group_discussion.is_locked = False
        db.session.commit()
        response = act(client, action, content)
        where = f"{persona} × {action}"
        if expected == "login":
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/auth/login"), where
        elif expected == "ok":
            assert response.status_code in (200, 302), where
            assert was_done(action, content), where
        elif expected == "none":
            # A moderator of another group has a queue, but not this post: nothing is done.
            assert response.status_code == 302, where
            assert not was_done(action, content), where
        else:
            assert response.status_code == expected, where
            if action not in ("view_queue", "view_log", "export_log", "edit_policy"):
                assert not was_done(action, content), where
