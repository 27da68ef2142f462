"""Plain ``make_*`` factories: rows as the services would leave them, flushed not committed."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from forum.accounts.models import Role, User
from forum.core.db import utc_now
from forum.core.text import slugify
from forum.extensions import db

PASSWORD = "correct horse battery"


def make_user(
    email: str,
    name: str,
    *,
    password: str = PASSWORD,
    verified: bool = True,
    role: str = "reader",
    timezone: str = "UTC",
) -> User:
    user = User(
        email=email,
        username=slugify(name, 40),
        display_name=name,
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1"),
        role=Role(role),
        email_verified_at=utc_now() if verified else None,
        timezone=timezone,
    )
    db.session.add(user)
    db.session.commit()
    return user
