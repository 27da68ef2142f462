"""Which sites may show Forum's discussions: the origins admins allow in the site settings."""

from __future__ import annotations

from forum.admin.settings import get_setting
from forum.core.web import CONTENT_SECURITY_POLICY


def allowed_origins() -> list[str]:
    return list(get_setting("embed_sites") or [])


def is_allowed(origin: str | None) -> bool:
    return bool(origin) and origin in allowed_origins()


def framing_policy() -> str:
    """The site's Content-Security-Policy, with the allowed sites as the only framers."""
    ancestors = " ".join(["'self'", *allowed_origins()])
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
