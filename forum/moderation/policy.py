"""The policy in force in a discussion, and the verdict it gives a new post.

Reads and pure rules, no writes: the discussions service asks ``verdict_for`` what state a new
post gets, and the moderation services (which build on the discussions services) do the rest.
Keeping this apart keeps imports one way: discussions -> moderation.policy, and
moderation.services -> discussions.services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cache

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, or_, select

from forum.accounts.permissions import is_admin
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions.models import Discussion, PostState
from forum.extensions import db
from forum.moderation.models import Mode, Policy
from forum.moderation.permissions import READ_ONLY_KEY, can_moderate_discussion

# What a site gets before anyone changes anything.
DEFAULTS = {
    "mode": Mode.NEW_USERS,
    "new_user_posts": 3,
    "flag_threshold": 3,
    "banned_words": "",
    "suspect_words": "",
    "hold_links": True,
    "read_only": False,
}
SETTINGS = tuple(DEFAULTS)
# Shown by every refused write and beside every form while the switch is on.
READ_ONLY_MESSAGE = _l("The site is read-only for now: posting, voting and flagging are paused.")

# Why a post waits for review, stored with it (Post.hold_reasons) in English, one a line; "{}"
# stands for the word or the number a reason carries. The pages name them in the reader's
# language (hold_reason_name in the views).
HELD_ALL = "pre-moderation"
HELD_NEW_USER = "new user"
HELD_LINK = "link from a new user"
HELD_SUSPECT_WORD = "suspect word “{}”"
HELD_BY_FLAGS = "flags ×{}"
HELD_BY_MODERATOR = "moderator flag: {}"

_LINK = re.compile(r"(https?://|www\.|\]\()", re.IGNORECASE)


def word_list(text: str | None) -> list[str]:
    """Words and phrases, one a line (commas also separate), without blanks or repeats."""
    found: list[str] = []
    for part in re.split(r"[\n,]", text or ""):
        word = " ".join(part.split())
        if word and word.lower() not in (w.lower() for w in found):
            found.append(word)
    return found


def words_in(words: list[str], body: str) -> list[str]:
    """Which of ``words`` the body contains as whole words, whatever their case."""
    return [
        word for word in words if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", body, re.IGNORECASE)
    ]


def has_link(body: str) -> bool:
    return _LINK.search(body) is not None


@dataclass(frozen=True)
class EffectivePolicy:
    mode: Mode
    new_user_posts: int
    flag_threshold: int
    banned_words: str
    suspect_words: str
    hold_links: bool
    read_only: bool

    @property
    def banned(self) -> list[str]:
        return word_list(self.banned_words)

    @property
    def suspect(self) -> list[str]:
        return word_list(self.suspect_words)


@dataclass
class Verdict:
    state: PostState
    reasons: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.state is PostState.PENDING


def _merge(rows: list[Policy]) -> EffectivePolicy:
    """The site's row, then the group's, then the discussion's: the narrower scope wins."""
    values = dict(DEFAULTS)

    def narrowness(row: Policy) -> int:
        return 2 if row.discussion_id else 1 if row.group_id else 0

    for row in sorted(rows, key=narrowness):
        for name in SETTINGS:
            value = getattr(row, name)
            # The site's switch cannot be undone by a group or a discussion.
            if name == "read_only" and narrowness(row):
                continue
            if value is not None:
                values[name] = value
    return EffectivePolicy(**values)


def site_policy_row() -> Policy | None:
    return db.session.scalar(
        select(Policy).where(Policy.group_id.is_(None), Policy.discussion_id.is_(None))
    )


def site_policy() -> EffectivePolicy:
    row = site_policy_row()
    return _merge([row] if row else [])


def is_read_only() -> bool:
    """The site's emergency switch; read once per request (every page shows a banner), with
    the signed-in person's other moderation state when that was read first."""
    if has_request_context() and READ_ONLY_KEY in g:
        return g.get(READ_ONLY_KEY)
    read_only = bool(
        db.session.scalar(
            select(Policy.read_only).where(
                Policy.group_id.is_(None), Policy.discussion_id.is_(None)
            )
        )
    )
    if has_request_context():
        setattr(g, READ_ONLY_KEY, read_only)
    return read_only


@cache
def _policy_rows_statement(in_group: bool) -> Select:
    """The rows that apply in a discussion: the site's, the discussion's and (in a group's
    discussion) the group's. Built once: posting runs it, and building it cost more than
    running it."""
    scopes = [
        Policy.group_id.is_(None) & Policy.discussion_id.is_(None),
        Policy.discussion_id == bindparam("discussion_id"),
    ]
    if in_group:
        scopes.append(Policy.group_id == bindparam("group_id"))
    return select(Policy).where(or_(*scopes))


def effective_policy(discussion: Discussion) -> EffectivePolicy:
    """Read once per request and discussion: a page asks for each of its posts."""
    key = f"_policy_{discussion.id}"
    if has_request_context() and key in g:
        return g.get(key)
    params = {"discussion_id": discussion.id}
    if discussion.group_id is not None:
        params["group_id"] = discussion.group_id
    statement = _policy_rows_statement(discussion.group_id is not None)
    policy = _merge(list(db.session.scalars(statement, params)))
    if has_request_context():
        setattr(g, key, policy)
    return policy


def check_read_only(user, policy: EffectivePolicy) -> None:
    if policy.read_only and not is_admin(user):
        raise PermissionDenied(str(READ_ONLY_MESSAGE))


def check_banned_words(policy: EffectivePolicy, body: str) -> None:
    """A banned word refuses the post outright; the author keeps the text to change it."""
    banned = words_in(policy.banned, body)
    if banned:
        quoted = ", ".join(f"“{word}”" for word in banned)
        raise ValidationFailed(
            "body",
            _(
                "Posts here may not contain %(words)s. Change the wording and post again.",
                words=quoted,
            ),
        )


def verdict_for(author, discussion: Discussion, body: str) -> Verdict:
    """Published or held, and why; refuses banned words and a read-only site. The reasons are
    stored with the post as they are written here, in English."""
    policy = effective_policy(discussion)
    check_read_only(author, policy)
    if can_moderate_discussion(author, discussion):
        return Verdict(PostState.PUBLISHED)
    check_banned_words(policy, body)
    is_new = author.approved_post_count < policy.new_user_posts
    reasons: list[str] = []
    if policy.mode is Mode.ALL:
        reasons.append(HELD_ALL)
    elif policy.mode is Mode.NEW_USERS and is_new:
        reasons.append(HELD_NEW_USER)
    reasons.extend(HELD_SUSPECT_WORD.format(word) for word in words_in(policy.suspect, body))
    if policy.hold_links and is_new and has_link(body):
        reasons.append(HELD_LINK)
    return Verdict(PostState.PENDING if reasons else PostState.PUBLISHED, reasons)


def policy_values(row: Policy | None) -> dict:
    """A row's own settings (None where it inherits), for forms."""
    return {f.name: getattr(row, f.name) if row else None for f in fields(EffectivePolicy)}
