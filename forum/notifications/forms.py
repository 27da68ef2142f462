from __future__ import annotations

import calendar

from wtforms import BooleanField, EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length

from forum.core.forms import Form
from forum.notifications.services import KINDS


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


def preferences_form(choices: dict[str, bool], weekday: int) -> Form:
    """One checkbox per kind of email, and the weekly digest's day."""

    class PreferencesForm(Form):
        digest_weekday = SelectField(
            "Day of the weekly digest",
            choices=[SelectChoice(day, calendar.day_name[day]) for day in range(7)],
            coerce=int,
        )

    for kind, info in KINDS.items():
        setattr(PreferencesForm, f"email_{kind}", BooleanField(info.label))
    data = {f"email_{kind}": wanted for kind, wanted in choices.items()}
    data["digest_weekday"] = weekday
    return PreferencesForm(data=data)
