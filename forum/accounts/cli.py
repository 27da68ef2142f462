"""``forum users ...``: accounts for operators and scripts, through the same services."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from forum.accounts import privacy, services
from forum.accounts.models import Role, User
from forum.accounts.queries import find_user_by_email
from forum.core.errors import ValidationFailed
from forum.extensions import db

users = AppGroup("users", help="Create and manage accounts.")

ROLES = ", ".join(role.value for role in Role)


def _account(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account with the email address {email!r}.")
    return user


def _commit(change, *args, **kwargs):
    """Run one service and commit, or turn its refusal into a message and exit status 1."""
    try:
        result = change(*args, **kwargs)
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    return result


def _until(value: str | None) -> datetime | None:
    """A date (midnight UTC) or an ISO 8601 date-time (UTC unless it names its zone)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.ClickException(
            f"{value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The display name.")
@click.option("--password", required=True, help=f"At least {services.MIN_PASSWORD_LENGTH} chars.")
@click.option("--role", default=Role.READER.value, show_default=True, help=f"One of {ROLES}.")
@click.option("--verified", is_flag=True, help="Mark the email address as already confirmed.")
def create(email: str, name: str, password: str, role: str, verified: bool) -> None:
    """Create an account with EMAIL."""
    user = _commit(services.create_user, None, email, name, password, role, verified)
    state = "verified" if user.is_verified else "not verified"
    click.echo(
        f"Created {user.display_name} <{user.email}> as {user.role.value} ({state}), "
        f"profile /users/{user.username}."
    )


@users.command("promote")
@click.argument("email")
@click.argument("role")
def promote(email: str, role: str) -> None:
    """Give the account with EMAIL the site-wide ROLE (reader, moderator or admin)."""
    user = _commit(services.set_role, None, _account(email), role)
    click.echo(f"{user.display_name} <{user.email}> is now {user.role.value}.")


@users.command("ban")
@click.argument("email")
@click.option("--until", metavar="DATE", help="End of the ban (UTC); for good if left out.")
def ban(email: str, until: str | None) -> None:
    """Ban the account with EMAIL: it cannot log in, and its sessions end now."""
    user = _commit(services.ban_user, None, _account(email), _until(until))
    click.echo(f"{user.display_name} <{user.email}>: {services.describe_ban(user)}")


@users.command("unban")
@click.argument("email")
def unban(email: str) -> None:
    """Lift the ban on the account with EMAIL."""
    user = _commit(services.unban_user, None, _account(email))
    click.echo(f"{user.display_name} <{user.email}> is no longer banned.")


@users.command("purge-ips")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="Keep addresses this many days (default: the site's setting, 30 unless changed).",
)
def purge_ips(days: int | None) -> None:
    """Forget sign-in IP addresses older than the retention period."""
    count = _commit(privacy.purge_addresses, None, days)
    click.echo(f"Forgot the IP addresses of {count} accounts.")
