from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from forum.core.forms import Form
from forum.notifications.services import KINDS, QUEUE_THRESHOLD_MAX


class ActionForm(Form):
    """A button that POSTs: mark read, unsubscribe, retry; only the CSRF token travels."""


class TestEmailForm(Form):
    to = EmailField(
        _l("Send a test email to"),
        validators=[
            InputRequired(message=_l("Enter an email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(message=_l("Enter an email address such as name@example.org.")),
        ],
    )


def preferences_form(
    choices: dict[str, bool], weekday: int, queue_threshold: int | None = None
) -> Form:
    """One checkbox per kind of email the person can receive (``choices``), the weekly
    digest's day, and for moderators (the queue alert among ``choices``) its threshold."""
    # Babel's names of the days in the reader's language, Monday first as in weekday().
    days = get_day_names("wide", locale=get_locale())

    class PreferencesForm(Form):
        digest_weekday = SelectField(
            _("Day of the weekly digest"),
            choices=[SelectChoice(day, days[day]) for day in range(7)],
            coerce=int,
        )

    for kind in choices:
        setattr(PreferencesForm, f"email_{kind}", BooleanField(KINDS[kind].label))
    data = {f"email_{kind}": wanted for kind, wanted in choices.items()}
    data["digest_weekday"] = weekday
    if any(KINDS[kind].for_moderators for kind in choices):
        PreferencesForm.queue_threshold = IntegerField(
            _("Alert me when the moderation queue holds at least this many items"),
            validators=[
                Optional(),
                NumberRange(
                    min=1,
                    max=QUEUE_THRESHOLD_MAX,
                    message=_(
                        "Choose a number from 1 to %(max)s, or leave it empty.",
                        max=format_number(QUEUE_THRESHOLD_MAX),
                    ),
                ),
            ],
        )
        data["queue_threshold"] = queue_threshold
    return PreferencesForm(data=data)
