from __future__ import annotations

import calendar

from wtforms import BooleanField, EmailField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from forum.core.forms import Form
from forum.notifications.services import KINDS, QUEUE_THRESHOLD_MAX


class ActionForm(Form):
    """A button that POSTs: mark read, unsubscribe, retry; only the CSRF token travels."""


class TestEmailForm(Form):
    to = EmailField(
        "Send a test email to",
        validators=[
            InputRequired(message="Enter an email address."),
            Length(max=254),
            Email(message="Enter an email address such as name@example.org."),
        ],
    )


def preferences_form(
    choices: dict[str, bool], weekday: int, queue_threshold: int | None = None
) -> Form:
    """One checkbox per kind of email the person can receive (``choices``), the weekly
    digest's day, and for moderators (the queue alert among ``choices``) its threshold."""

    class PreferencesForm(Form):
        digest_weekday = SelectField(
            "Day of the weekly digest",
            choices=[SelectChoice(day, calendar.day_name[day]) for day in range(7)],
            coerce=int,
        )

    for kind in choices:
        setattr(PreferencesForm, f"email_{kind}", BooleanField(KINDS[kind].label))
    data = {f"email_{kind}": wanted for kind, wanted in choices.items()}
    data["digest_weekday"] = weekday
    if any(KINDS[kind].for_moderators for kind in choices):
        PreferencesForm.queue_threshold = IntegerField(
            "Alert me when the moderation queue holds at least this many items",
            validators=[
                Optional(),
                NumberRange(
                    min=1,
                    max=QUEUE_THRESHOLD_MAX,
                    message=f"Choose a number from 1 to {QUEUE_THRESHOLD_MAX}, or leave it empty.",
                ),
            ],
        )
        data["queue_threshold"] = queue_threshold
    return PreferencesForm(data=data)
