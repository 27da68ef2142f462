"""The rules of accounts: registration, sign-in, passwords, email addresses, settings, roles.

Services flush and never commit, and never send email: the caller commits, then sends.
``actor=None`` means the operator at the command line, who may do anything.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import LazyString, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from forum.accounts import permissions
from forum.accounts.models import DigestFrequency, Role, User, UserStatus
from forum.accounts.queries import find_user_by_email, username_taken
from forum.admin.settings import Registration, registration
from forum.articles.claims import claim_unclaimed_accounts
from forum.core import signals
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.core.i18n import is_language
from forum.core.text import slugify
from forum.core.timefmt import is_timezone, local
from forum.extensions import db

MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase, short enough that hashing it is not a way to load the server.
MAX_PASSWORD_LENGTH = 500
MAX_DISPLAY_NAME = 80
MAX_BIO = 2000
USERNAME_BASE_LENGTH = 40

VERIFY_SALT = "forum.accounts.verify-email"
RESET_SALT = "forum.accounts.reset-password"
EMAIL_CHANGE_SALT = "forum.accounts.change-email"
INVITATION_SALT = "forum.accounts.invitation"
INVITATION_MAX_AGE = 14 * 24 * 3600


# Shown to people in more than one place (a form's validator and the service's check).
NAME_MISSING = _l("Enter the name others will see beside your posts.")
NOT_CURRENT_PASSWORD = _l("That is not your current password.")
REGISTRATION_CLOSED = _l("Registration is closed on this site for now.")
BY_INVITATION_ONLY = _l(
    "This site takes new members by invitation only: ask an administrator for one."
)
BAD_INVITATION = _l("This invitation link is not valid. It may have been copied incompletely.")
# What a refused link from an email says, by its purpose and what is wrong with it.
_LINK_REFUSALS = {
    "verification": {
        "expired": _l("This verification link has expired."),
        "invalid": _l("This verification link is not valid. It may have been copied incompletely."),
        "gone": _l("This verification link is for an account that no longer exists."),
    },
    "password reset": {
        "expired": _l("This password reset link has expired."),
        "invalid": _l(
            "This password reset link is not valid. It may have been copied incompletely."
        ),
        "gone": _l("This password reset link is for an account that no longer exists."),
    },
    "email change": {
        "expired": _l("This email change link has expired."),
        "invalid": _l("This email change link is not valid. It may have been copied incompletely."),
        "gone": _l("This email change link is for an account that no longer exists."),
    },
}


def too_long(limit: int) -> LazyString:
    return _l("Use at most %(num)d characters.", num=limit)


# The number is written when the message is shown: 2,000 in English, 2 000 in French.
BIO_TOO_LONG = _l("Keep it under %(num)s characters.", num=LazyString(format_number, MAX_BIO))


class LinkRefused(HTTPException):
    """A link from an email that cannot be used: ``kind`` is expired, invalid or used.

    An HTTP error, so if a view forgets to catch it the visitor still gets a 4xx page.
    """

    def __init__(self, kind: str, message: str):
        self.code = 400 if kind == "invalid" else 410
        super().__init__(message)
        self.kind = kind
        self.message = message


# Values --------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """The address as typed, trimmed, with its domain in lower case (domains ignore case)."""
    local_part, at, domain = email.strip().rpartition("@")
    return f"{local_part}{at}{domain.lower()}" if at else email.strip()


def check_email_address(email: str, field: str = "email") -> str:
    email = normalise_email(email or "")
    if not email:
        raise ValidationFailed(field, _("Enter your email address."))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(
            field,
            _("“%(email)s” is not an email address; check it for typing mistakes.", email=email),
        ) from None
    return email


def check_email_free(email: str, field: str = "email") -> None:
    if find_user_by_email(email) is not None:
        raise ValidationFailed(
            field, _("An account already uses this email address. Log in, or reset its password.")
        )


def check_password_rules(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            field,
            _(
                "Use at least %(num)d characters; a few words make a good one.",
                num=MIN_PASSWORD_LENGTH,
            ),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(field, str(too_long(MAX_PASSWORD_LENGTH)))


def check_display_name(name: str, field: str = "display_name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(field, str(NAME_MISSING))
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationFailed(field, str(too_long(MAX_DISPLAY_NAME)))
    return name


def check_role(role: Role | str, field: str = "role") -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            field,
            _("Unknown role “%(role)s”: choose one of %(choices)s.", role=role, choices=choices),
        ) from None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_matches(user: User | None, password: str) -> bool:
    if user is None:
        # Hash anyway, so an unknown address takes as long to refuse as a wrong password and
        # the response time does not tell who has an account.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return bool(password) and check_password_hash(user.password_hash, password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("no account has this password", method=method)


def unique_username(display_name: str) -> str:
    """The URL handle: the slug of the name, with -2, -3, ... when it is taken."""
    base = slugify(display_name, USERNAME_BASE_LENGTH)
    if base == "untitled":
        base = "member"
    candidate, number = base, 1
    while username_taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def describe_ban(user: User) -> str:
    """For the operator at the command line (in English, as all command output is)."""
    if user.banned_until is None:
        return "This account is banned."
    shown = local(user.banned_until, user.timezone)
    return f"This account is banned until {shown:%-d %b %Y, %H:%M} {shown.tzname()}."


# Registration and sign-in ---------------------------------------------------------------


class RegistrationClosed(PermissionDenied):
    """The site does not take new members this way now (a 403 if a view does not catch it)."""


def register_user(
    email: str,
    display_name: str,
    password: str,
    invitation: str | None = None,
    now: datetime | None = None,
    language: str | None = None,
) -> User:
    """A new reader, signed up from the web: unverified until they follow the emailed link,
    unless they came with an admin's invitation to the address (which proves it).

    The site's ``registration`` setting decides who may: anyone, nobody, or the invited.
    ``language``: the one they registered in, kept so that their emails (the confirmation
    link first) are written in it; they can change it in their settings.
    """
    policy = registration()
    if policy is Registration.CLOSED:
        raise RegistrationClosed(str(REGISTRATION_CLOSED))
    invited_email = invitation_email(invitation) if invitation else None
    if policy is Registration.INVITATION and invited_email is None:
        raise RegistrationClosed(str(BY_INVITATION_ONLY))
    verified_at = None
    if invited_email is not None:
        if normalise_email(email).lower() != invited_email.lower():
            raise ValidationFailed(
                "email",
                _(
                    "This invitation is for %(email)s: register with that address.",
                    email=invited_email,
                ),
            )
        verified_at = now or utc_now()
    user = _new_user(email, display_name, password, Role.READER, verified_at=verified_at)
    user.language = language if is_language(language) else None
    signals.user_registered.send(user)
    return user


def invitation_token(actor: User, email: str) -> str:
    """A link for ``email`` to register with while registration is by invitation."""
    permissions.require_manage_users(actor)
    email = check_email_address(email)
    check_email_free(email)
    return _serializer(INVITATION_SALT).dumps({"email": email})


def invitation_email(token: str) -> str:
    """The address an invitation is for; refuses a forged or old one."""
    try:
        data = _serializer(INVITATION_SALT).loads(token, max_age=INVITATION_MAX_AGE)
    except SignatureExpired:
        raise LinkRefused("expired", _("This invitation has expired; ask for a new one.")) from None
    except BadData:
        raise LinkRefused("invalid", str(BAD_INVITATION)) from None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        raise LinkRefused("invalid", str(BAD_INVITATION))
    return data["email"]


def note_address(user: User, address: str | None, now: datetime | None = None) -> None:
    """Keep the address the account signed in or registered from (purged later)."""
    if not address:
        return
    user.last_ip = address[:45]
    user.last_ip_at = now or utc_now()
    db.session.flush()


def create_user(
    actor: User | None,
    email: str,
    display_name: str,
    password: str,
    role: Role | str = Role.READER,
    verified: bool = False,
    now: datetime | None = None,
) -> User:
    """An account made by an administrator or operator, optionally already verified."""
    if actor is not None:
        permissions.require_manage_users(actor)
    role = check_role(role)
    verified_at = (now or utc_now()) if verified else None
    return _new_user(email, display_name, password, role, verified_at)


def _new_user(
    email: str, display_name: str, password: str, role: Role, verified_at: datetime | None
) -> User:
    email = check_email_address(email)
    check_email_free(email)
    display_name = check_display_name(display_name)
    check_password_rules(password)
    user = User(
        email=email,
        username=unique_username(display_name),
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        email_verified_at=verified_at,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """The account for this email and password."""
    user = find_user_by_email(email or "")
    if not password_matches(user, password):
        raise ValidationFailed(
            "password", _("That email address and password do not match an account.")
        )
    now = now or utc_now()
    # Suspended and banned people sign in to read: the permissions modules refuse their posts,
    # votes and flags, and every page tells them why and until when.
    user.last_seen_at = now
    db.session.flush()
    return user


# Links in emails ------------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(token: str, salt: str, max_age: int, what: str) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused("expired", str(_LINK_REFUSALS[what]["expired"])) from None
    except BadData:
        raise LinkRefused("invalid", str(_LINK_REFUSALS[what]["invalid"])) from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise LinkRefused("invalid", str(_LINK_REFUSALS[what]["invalid"]))
    return data


def _user_of(data: dict, what: str) -> User:
    user = db.session.get(User, data["id"])
    if user is None:
        raise LinkRefused("invalid", str(_LINK_REFUSALS[what]["gone"]))
    return user


def verification_token(user: User) -> str:
    return _serializer(VERIFY_SALT).dumps({"id": user.id, "email": user.email})


def verify_email(token: str, now: datetime | None = None) -> User:
    """Mark the address in the link verified; following the link again changes nothing."""
    data = _load(token, VERIFY_SALT, current_app.config["VERIFY_TOKEN_MAX_AGE"], "verification")
    user = _user_of(data, "verification")
    if data.get("email") != user.email:
        raise LinkRefused(
            "used",
            _("This verification link is for an email address your account no longer uses."),
        )
    if user.email_verified_at is None:
        user.email_verified_at = now or utc_now()
        db.session.flush()
        claim_unclaimed_accounts(user)  # blog comments imported under this address
    return user


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password does, so a reset link works once. The hash is salted, so
    # this reveals nothing about the password itself.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"id": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    data = _load(token, RESET_SALT, current_app.config["RESET_TOKEN_MAX_AGE"], "password reset")
    user = _user_of(data, "password reset")
    if data.get("fp") != _password_fingerprint(user):
        raise LinkRefused(
            "used",
            _("This password reset link has already been used, or the password was changed since."),
        )
    return user


def find_account_for_reset(email: str) -> User | None:
    """Whom to send a reset link to; the caller shows the same page either way."""
    return find_user_by_email(normalise_email(email or ""))


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _set_password(user, new_password, field="password")
    return user


def _set_password(user: User, new_password: str, field: str) -> None:
    check_password_rules(new_password, field)
    user.password_hash = hash_password(new_password)
    # Every session and remember-me cookie names the old version, so they all end.
    user.session_version += 1
    db.session.flush()


def change_password(actor: User, user: User, current_password: str, new_password: str) -> None:
    """A new password; every other session ends (the caller signs the current one in again)."""
    permissions.require_change_credentials(actor, user)
    if not password_matches(user, current_password):
        raise ValidationFailed("current_password", str(NOT_CURRENT_PASSWORD))
    _set_password(user, new_password, field="new_password")


def request_email_change(actor: User, user: User, new_email: str, current_password: str) -> str:
    """Check the new address and return the token to email to it; nothing changes yet."""
    permissions.require_change_credentials(actor, user)
    new_email = check_email_address(new_email, "new_email")
    if new_email.lower() == user.email.lower():
        raise ValidationFailed("new_email", _("That is already your email address."))
    check_email_free(new_email, "new_email")
    if not password_matches(user, current_password):
        raise ValidationFailed("current_password", str(NOT_CURRENT_PASSWORD))
    return _serializer(EMAIL_CHANGE_SALT).dumps({"id": user.id, "email": new_email})


def confirm_email_change(token: str, now: datetime | None = None) -> tuple[User, str]:
    """Move the account to the address in the link (now verified); returns (user, old email)."""
    data = _load(
        token, EMAIL_CHANGE_SALT, current_app.config["VERIFY_TOKEN_MAX_AGE"], "email change"
    )
    user = _user_of(data, "email change")
    new_email = data.get("email")
    if not isinstance(new_email, str):
        raise LinkRefused("invalid", str(_LINK_REFUSALS["email change"]["invalid"]))
    if user.email == new_email:
        raise LinkRefused("used", _("This email change link has already been used."))
    owner = find_user_by_email(new_email)
    if owner is not None:
        raise LinkRefused("used", _("Another account has started using this email address since."))
    old_email = user.email
    user.email = new_email
    user.email_verified_at = now or utc_now()
    db.session.flush()
    claim_unclaimed_accounts(user)  # blog comments imported under this address
    return user, old_email


# Settings and administration ------------------------------------------------------------


def update_settings(
    actor: User,
    user: User,
    *,
    display_name: str,
    bio: str,
    timezone: str,
    digest_frequency: DigestFrequency | str,
    language: str | None = None,
) -> User:
    """Profile and preferences. The username stays as it is, so links to the profile last.

    ``language``: "en", "fr", ...; None or "" to follow the browser's.
    """
    permissions.require_edit_profile(actor, user)
    display_name = check_display_name(display_name)
    bio = (bio or "").strip()
    if len(bio) > MAX_BIO:
        raise ValidationFailed("bio", str(BIO_TOO_LONG))
    if not is_timezone(timezone):
        raise ValidationFailed("timezone", _("Choose a time zone from the list."))
    try:
        digest_frequency = DigestFrequency(digest_frequency)
    except ValueError:
        raise ValidationFailed("digest_frequency", _("Choose off, daily or weekly.")) from None
    user.display_name = display_name
    user.bio = bio
    user.timezone = timezone
    user.digest_frequency = digest_frequency
    set_language(actor, user, language)
    return user


def set_language(actor: User, user: User, language: str | None) -> User:
    """The language of the member's pages and emails; None or "" to follow the browser."""
    permissions.require_edit_profile(actor, user)
    if language and not is_language(language):
        raise ValidationFailed("language", _("Choose a language from the list."))
    user.language = language or None
    db.session.flush()
    return user


def mark_verified(actor: User | None, user: User, now: datetime | None = None) -> User:
    """An administrator vouches for the address (the member never got the email, say)."""
    if actor is not None:
        permissions.require_manage_users(actor)
    if user.email_verified_at is None:
        user.email_verified_at = now or utc_now()
        db.session.flush()
    return user


def set_role(actor: User | None, user: User, role: Role | str) -> User:
    if actor is not None:
        permissions.require_manage_users(actor)
    user.role = check_role(role)
    db.session.flush()
    return user


def ban_user(
    actor: User | None, user: User, until: datetime | None = None, now: datetime | None = None
) -> User:
    """Ban until ``until`` (for good when None); the account's sessions end at once."""
    if actor is not None:
        permissions.require_manage_users(actor)
    if until is not None and until <= (now or utc_now()):
        raise ValidationFailed("until", _("The end of a ban must be in the future."))
    user.status = UserStatus.BANNED
    user.banned_until = until
    user.session_version += 1
    db.session.flush()
    return user


def unban_user(actor: User | None, user: User) -> User:
    if actor is not None:
        permissions.require_manage_users(actor)
    user.status = UserStatus.ACTIVE
    user.banned_until = None
    db.session.flush()
    return user
