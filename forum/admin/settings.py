"""The site's settings: stored in the database, read with a per-request cache, and falling
back to the configuration (``forum.cfg`` or the app's defaults) where no admin changed them.

Other domains read a setting with ``get_setting(name)``. The moderation settings (mode, trust
threshold, flags, links, the read-only switch) already live in the site's moderation policy,
so they are read from there and changed through the moderation services: one source, one log.
"""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.core.errors import ValidationFailed
from forum.extensions import db

DEFAULT_DESCRIPTION = (
    "Articles on foreign policy and the discussions of their readers and discussion groups."
)
MAX_SITE_NAME = 80
MAX_DESCRIPTION = 300
MAX_DAYS = 3650
CACHE_SECONDS = 10


class Registration(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    INVITATION = "invitation"


REGISTRATION_LABELS = {
    Registration.OPEN: _l("Open: anyone may register"),
    Registration.CLOSED: _l("Closed: nobody may register"),
    Registration.INVITATION: _l("By invitation: only with a link an admin sent"),
}


@dataclass(frozen=True)
class Setting:
    # The config key whose value is the default (forum.cfg may set it), and the default
    # when the configuration has none.
    config_key: str
    fallback: Any


STORED = {
    "site_name": Setting("SITE_NAME", "Forum"),
    "site_description": Setting("SITE_DESCRIPTION", DEFAULT_DESCRIPTION),
    "registration": Setting("REGISTRATION", Registration.OPEN.value),
    # 0: discussions stay open for good.
    "auto_close_days": Setting("AUTO_CLOSE_DAYS", 0),
    # Origins (https://blog.example.org) whose pages may embed the discussions (forum/embed).
    "embed_sites": Setting("EMBED_SITES", []),
    "ip_retention_days": Setting("IP_RETENTION_DAYS", 30),
}
# Read from the site's moderation policy (forum.moderation.policy).
POLICY = ("mode", "new_user_posts", "flag_threshold", "hold_links", "read_only")

CACHE_KEY = "forum.site-settings"


def _stored_values() -> dict[str, Any]:
    """Every stored setting, read in one query and kept for the app: pages read the name on
    every render, and the settings rarely change. A change clears the cache of the process
    that made it; other processes see it within ``cache_seconds()``.
    """
    from forum.admin.models import SiteSetting

    cache = current_app.extensions.get(CACHE_KEY)
    expiry = cache_seconds()
    if cache is None or (expiry is not None and time.monotonic() - cache[1] > expiry):
        rows = db.session.execute(select(SiteSetting.name, SiteSetting.value))
        cache = ({name: json.loads(value) for name, value in rows}, time.monotonic())
        current_app.extensions[CACHE_KEY] = cache
    return cache[0]


def cache_seconds() -> float | None:
    """How long another process's change may go unseen. Under TESTING there is one process,
    whose own changes clear its cache, so nothing expires by time (and a page costs the same
    queries whenever it is asked for)."""
    default = None if current_app.testing else CACHE_SECONDS
    return current_app.config.get("SETTINGS_CACHE_SECONDS", default)


def forget_cached() -> None:
    """After a change: this process reads the new values from now on."""
    current_app.extensions.pop(CACHE_KEY, None)


def default_of(name: str) -> Any:
    setting = STORED[name]
    return current_app.config.get(setting.config_key, setting.fallback)


def get_setting(name: str) -> Any:
    """The value in force: the stored one, else the configured default."""
    if name in POLICY:
        from forum.moderation.policy import site_policy

        return getattr(site_policy(), name)
    if name not in STORED:
        raise KeyError(f"unknown setting {name!r}")
    values = _stored_values()
    return values[name] if name in values else default_of(name)


def registration() -> Registration:
    return Registration(get_setting("registration"))


# Checking values (the services call these before storing) -------------------------------


def check_site_name(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed("site_name", _("Give the site a name."))
    if len(value) > MAX_SITE_NAME:
        raise ValidationFailed(
            "site_name", _("Keep the name under %(max)d characters.", max=MAX_SITE_NAME)
        )
    return value


def check_description(value: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > MAX_DESCRIPTION:
        raise ValidationFailed(
            "site_description",
            _("Keep the description under %(max)d characters.", max=MAX_DESCRIPTION),
        )
    return value


def check_days(value: int | None, field: str) -> int:
    if value is None or value < 0 or value > MAX_DAYS:
        raise ValidationFailed(field, _("Use a number of days from 0 to %(max)d.", max=MAX_DAYS))
    return value


def check_embed_sites(text: str) -> list[str]:
    """One origin a line, as https://host[:port]; anything else is refused by name."""
    sites: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip().rstrip("/")
        if not line:
            continue
        parts = urlsplit(line)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise ValidationFailed(
                "embed_sites",
                _(
                    "“%(line)s” is not a site's address: write it as "
                    "https://blog.example.org, one a line, without a path.",
                    line=line,
                ),
            )
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in sites:
            sites.append(origin)
    return sites
