"""Atom feeds out: entries built from posts and sessions, and responses with conditional GET.

A feed's ETag is a hash of its body and its Last-Modified the newest change it shows, so a
feed reader that sends either back gets a 304 while nothing changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_datetime
from flask import Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from forum.core.db import utc_now
from forum.core.text import excerpt
from forum.core.timefmt import local
from forum.discussions.models import Post
from forum.groups.models import GroupSession

CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Feed readers may keep a copy this long without asking; after that they ask conditionally.
MAX_AGE_SECONDS = 300


@dataclass
class AtomEntry:
    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    author: str
    content_html: str
    summary: str = ""


def absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _subject(post: Post) -> str:
    discussion = post.discussion
    if discussion.article is not None:
        return discussion.article.title
    if discussion.session is not None:
        return discussion.session.title
    return _("a discussion")


def post_entry(post: Post) -> AtomEntry:
    url = absolute("discussions.show_post", post_id=post.id)
    return AtomEntry(
        id=url,
        title=_("%(name)s on “%(subject)s”", name=post.author.display_name, subject=_subject(post)),
        url=url,
        published=post.created_at,
        updated=post.edited_at or post.created_at,
        author=post.author.display_name,
        content_html=post.body_html,
        summary=excerpt(post.body_md, 200),
    )


def _cancelled(text: str) -> str:
    return _("Cancelled: %(what)s", what=text)


def session_entry(session: GroupSession) -> AtomEntry:
    # A feed has no reader's zone: the time is given in the zone the session was set in.
    starts = local(session.starts_at, session.timezone)
    day = format_datetime(starts, "EEEE d MMMM y, HH:mm", tzinfo=starts.tzinfo, locale=get_locale())
    when = f"{day} {starts.tzname()}"
    place = session.place or (_("online") if session.online_url else "")
    details = Markup("<p>{}</p>").format(f"{when}, {place}" if place else when)
    if session.topic:
        details += Markup("<p>{}</p>").format(_("Topic: %(topic)s", topic=session.topic))
    url = absolute("groups.show_session", slug=session.group.slug, session_id=session.id)
    title = session.title
    if session.is_cancelled:
        title, when = _cancelled(title), _cancelled(when)
    return AtomEntry(
        id=url,
        title=title,
        url=url,
        published=session.created_at,
        updated=session.updated_at,
        author=session.group.name,
        # The agenda is stored as sanitised HTML, rendered when it was written.
        content_html=str(details + Markup(session.agenda_html)),  # nosec B704
        summary=when,
    )


def atom_response(template: str, updated: datetime | None, **context) -> Response:
    """The rendered feed, or 304 when the reader's ETag or date shows it has it already."""
    updated = updated or utc_now()
    body = render_template(template, updated=updated, **context)
    response = Response(body, content_type=CONTENT_TYPE)
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    response.last_modified = updated.replace(microsecond=0)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    return response.make_conditional(request)
