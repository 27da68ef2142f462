"""The admin area's periodic work, run by ``forum worker`` (registered in
forum/notifications/jobs.py). Each job commits once, as a request would."""

from __future__ import annotations

from forum.accounts.privacy import purge_addresses
from forum.admin.services import close_stale_discussions
from forum.extensions import db


def housekeeping() -> dict[str, int]:
    """Every hour: close discussions past the site's auto-close age, forget old IPs."""
    done = {"closed": close_stale_discussions(), "addresses": purge_addresses()}
    db.session.commit()
    return done
