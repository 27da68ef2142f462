"""``forum worker``, ``forum digests send|preview`` and ``forum mail send|test``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from forum.accounts.queries import find_user_by_email
from forum.core import mail
from forum.core.db import utc_now
from forum.extensions import db
from forum.notifications import digests as digest_service
from forum.notifications import emails, jobs


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time, e.g. 2026-11-30T07:05:00+01:00"
        ) from None
    # A time without a zone is taken as UTC, as everything is stored.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@click.command("worker")
@click.option("--workers", default=1, show_default=True, help="Threads running jobs.")
@with_appcontext
def worker(workers: int) -> None:
    """Run queued and periodic jobs: the email outbox (every minute and whenever mail is
    queued); every five minutes the digests, session reminders, ballot notices and
    moderators' queue alerts that are due. Stop it with Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    huey = jobs.get_huey(app)
    where = app.config.get("REDIS_URL") and "Redis" or "the instance folder"
    click.echo(f"Forum worker: queue in {where}, mail through {app.config['MAIL_URL']}")
    # Whatever was queued while no worker ran goes out now, not at the next minute.
    app.extensions[jobs.TASKS]["send_outbox"]()
    # A short poll: mail queued by the site goes out within a second or two.
    huey.create_consumer(workers=workers, periodic=True, max_delay=2.0).run()


mail_cli = AppGroup("mail", help="The email outbox.")


@mail_cli.command("send")
@click.option("--limit", default=1000, show_default=True, help="At most this many emails.")
def send_outbox(limit: int) -> None:
    """Send the queued emails that are due now (the worker does this every minute)."""
    due = len(mail.due_ids(utc_now(), limit))
    with click.progressbar(length=due, label="Sending", show_pos=True) as bar:
        report = mail.send_due(limit=limit, progress=lambda row: bar.update(1))
    click.echo(
        f"Sent {report.sent}; {report.retrying} to retry later; {report.failed} failed; "
        f"{report.requeued} taken back from a stopped worker."
    )


@mail_cli.command("test")
@click.argument("email")
def send_test(email: str) -> None:
    """Queue a test email to EMAIL (the worker sends it)."""
    mail.queue_email(email, "notifications/test", sent_by="the command line")
    db.session.commit()
    click.echo(f"A test email to {email} is queued.")


digests = AppGroup("digests", help="Email digests of what is new.")


@digests.command("send")
@click.option("--dry-run", is_flag=True, help="Show who is due and what, send nothing.")
@click.option("--user", "email", help="Only this person (by email address).")
@click.option("--now", "now_text", help="Act as if it were this time (ISO-8601).")
def send_digests(dry_run: bool, email: str | None, now_text: str | None) -> None:
    """Send the digests that are due now (or at --now)."""
    now = _moment(now_text) or utc_now()
    if email and find_user_by_email(email) is None:
        raise click.ClickException(f"There is no account with the email address {email!r}.")
    bar = click.progressbar(length=0, label="Digests", show_pos=True)

    def grow(count: int) -> None:
        bar.length = (bar.length or 0) + count

    with bar:
        outcomes = digest_service.send_due_digests(
            now,
            dry_run=dry_run,
            only_email=email,
            progress=lambda outcome: bar.update(1),
            count_due=grow,
        )
    for outcome in outcomes:
        if dry_run:
            what = f"would send {outcome.item_count} items" if outcome.item_count else "nothing new"
        else:
            what = f"{outcome.item_count} items queued" if outcome.sent else "nothing new"
        click.echo(f"{outcome.user.email} ({outcome.period_key}): {what}")
    sent = sum(1 for o in outcomes if o.sent)
    verb = "Would send" if dry_run else "Queued"
    count = sum(1 for o in outcomes if o.item_count) if dry_run else sent
    click.echo(f"{verb} {count} digest(s); {len(outcomes)} due.")


@digests.command("preview")
@click.option("--user", "email", required=True, help="Whose next digest (email address).")
@click.option("--now", "now_text", help="Act as if it were this time (ISO-8601).")
def preview_digest(email: str, now_text: str | None) -> None:
    """Print the text of the person's next digest, as it stands now."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account with the email address {email!r}.")
    content = digest_service.preview(user, _moment(now_text))
    if not content.item_count:
        click.echo("Nothing new: no digest would be sent.")
        return
    _subject, text, _html = mail.render_email(
        "notifications/digest",
        user=user,
        content=content,
        unsubscribe_url=emails.unsubscribe_url("preview"),
        preferences_url=f"{emails.base_url()}/settings/notifications",
    )
    click.echo(text)


COMMANDS = (worker, mail_cli, digests)
