"""Feeds the site follows: administrators add them, the worker polls them.

A poll is a conditional GET with the validators (ETag, Last-Modified) of the feed's last good
response, so an unchanged feed costs the blog a 304. What a poll brings is imported by the
same rules as ``forum import``; each feed's poll is one transaction (its articles, its
comments and its new validators together), so a failure leaves the feed as it was and is
recorded on the feed for the admin page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from forum.accounts.models import User
from forum.articles import permissions
from forum.articles.feedformat import FeedFormatError, ParsedFeed, parse_feed
from forum.articles.fetching import check_feed_url, fetch
from forum.articles.importing import (
    ImportReport,
    Loaded,
    fetch_timeout,
    import_loaded,
    max_bytes,
)
from forum.articles.models import Feed
from forum.core import outbound
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.extensions import db

DEFAULT_POLL_MINUTES = 30
MAX_URL = 1000


def poll_interval() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("FEED_POLL_MINUTES", DEFAULT_POLL_MINUTES)))


def _sentence(message: str) -> str:
    return f"{message[:1].upper()}{message[1:]}."


def add_feed(actor: User, url: str, now: datetime | None = None) -> Feed:
    """Follow the feed at ``url`` (polled at the worker's next round)."""
    permissions.require_manage_feeds(actor)
    try:
        url = check_feed_url(url or "")
    except FeedFormatError:
        # Its one refusal, said in the reader's language (the fetcher's words are for logs).
        raise ValidationFailed(
            "url", _("A feed address starts with http:// or https://.")
        ) from None
    if len(url) > MAX_URL:
        raise ValidationFailed(
            "url", _("Feed addresses are limited to %(limit)s characters.", limit=MAX_URL)
        )
    _refuse_internal(url)
    if db.session.scalar(select(Feed.id).where(Feed.url == url)) is not None:
        raise ValidationFailed("url", _("This feed is followed already."))
    feed = Feed(url=url, created_at=now or utc_now())
    db.session.add(feed)
    db.session.flush()
    return feed


def _refuse_internal(url: str) -> None:
    """An address inside the network is refused now, beside the field (each poll checks it
    again, and every redirect, since a name can point elsewhere later)."""
    host, port = outbound.host_and_port(url)
    try:
        outbound.check_target(host, port)
    except outbound.InternalTarget as refused:
        raise ValidationFailed(
            "url",
            _(
                "%(host)s is an address inside the network (%(address)s): feeds are read "
                "only from systems reachable from the internet.",
                host=host,
                address=refused.address,
            ),
        ) from None
    except (OSError, UnicodeError):
        raise ValidationFailed(
            "url", _("No address was found for %(host)s: check the feed’s address.", host=host)
        ) from None


def remove_feed(actor: User, feed: Feed) -> None:
    """Stop following ``feed``; the articles it brought stay."""
    permissions.require_manage_feeds(actor)
    db.session.delete(feed)
    db.session.flush()


@dataclass
class PollResult:
    feed_id: int
    status: str  # "imported", "not modified" or "failed"
    message: str
    report: ImportReport | None = None


def poll_feed(feed: Feed, now: datetime | None = None) -> PollResult:
    """Fetch ``feed`` (conditionally) and import what it holds. Flushes; the caller commits.
    FeedFormatError when it cannot be fetched or is not a feed."""
    now = now or utc_now()
    feed.last_polled_at = now
    fetched = fetch(feed.url, max_bytes(), feed.etag, feed.last_modified, fetch_timeout())
    if fetched.status == 304:
        feed.last_result, feed.last_failed = "Not modified since the last poll.", False
        db.session.flush()
        return PollResult(feed.id, "not modified", feed.last_result)
    parsed = parse_feed(fetched.body)
    report = ImportReport()
    import_loaded(Loaded(feed.url, parsed), report, now=now)
    _record_success(feed, parsed, fetched.etag, fetched.last_modified, report, now)
    return PollResult(feed.id, "imported", feed.last_result, report)


def _record_success(feed, parsed: ParsedFeed, etag, last_modified, report, now) -> None:
    feed.title = (parsed.title or feed.title)[:300]
    feed.etag = etag[:300] if etag else None
    feed.last_modified = last_modified[:100] if last_modified else None
    feed.last_success_at = now
    feed.last_result, feed.last_failed = report.summary(), False
    db.session.flush()


def _record_failure(feed_id: int, message: str, now: datetime) -> None:
    feed = db.session.get(Feed, feed_id)
    if feed is not None:
        feed.last_polled_at = now
        feed.last_result, feed.last_failed = message, True
        db.session.flush()


def poll_now(actor: User, feed: Feed, now: datetime | None = None) -> PollResult:
    """An administrator's "poll now": the same poll, run at once. Commits (the feed's
    failure is recorded after its import is undone)."""
    permissions.require_manage_feeds(actor)
    return _poll_one(feed.id, now or utc_now())


def _poll_one(feed_id: int, now: datetime) -> PollResult:
    """One feed's poll in its own transaction; a failure rolls its import back and is
    recorded on the feed in the next."""
    feed = db.session.get(Feed, feed_id)
    try:
        result = poll_feed(feed, now)
        db.session.commit()
        return result
    except FeedFormatError as error:
        message = _sentence(str(error))
    except Exception:  # noqa: BLE001 - one broken feed must not stop the others
        current_app.logger.exception("Polling feed %s failed", feed_id)
        message = "The import failed on our side; the error is in the worker's log."
    db.session.rollback()
    _record_failure(feed_id, message, now)
    db.session.commit()
    return PollResult(feed_id, "failed", message)


def due_feed_ids(now: datetime) -> list[int]:
    """Active feeds not polled within the interval, longest waiting first."""
    return list(
        db.session.scalars(
            select(Feed.id)
            .where(
                Feed.is_active.is_(True),
                or_(Feed.last_polled_at.is_(None), Feed.last_polled_at <= now - poll_interval()),
            )
            .order_by(Feed.last_polled_at.asc().nulls_first(), Feed.id)
        )
    )


def poll_due_feeds(now: datetime | None = None) -> list[PollResult]:
    """The worker's periodic job: poll every feed that is due, each in its own transaction."""
    now = now or utc_now()
    return [_poll_one(feed_id, now) for feed_id in due_feed_ids(now)]
