"""The shapes of the account forms; what the values mean is checked in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from forum.accounts.models import DigestFrequency
from forum.accounts.services import (
    BIO_TOO_LONG,
    MAX_BIO,
    MAX_DISPLAY_NAME,
    MAX_PASSWORD_LENGTH,
    NAME_MISSING,
    too_long,
)
from forum.core.forms import Form
from forum.core.i18n import LANGUAGES
from forum.core.timefmt import timezone_names

EMAIL = _l("Email address")
PASSWORD = _l("Password")
NEW_PASSWORD = _l("New password")
CURRENT_PASSWORD = _l("Current password")
ENTER_NEW_PASSWORD = _l("Enter a new password.")
ENTER_CURRENT_PASSWORD = _l("Enter your current password.")
# Shown as the digest choices; the values stored are the enum's.
DIGEST_LABELS = {
    DigestFrequency.OFF: _l("Off"),
    DigestFrequency.DAILY: _l("Daily"),
    DigestFrequency.WEEKLY: _l("Weekly"),
}


def _email(label=EMAIL) -> EmailField:
    return EmailField(
        label,
        validators=[
            InputRequired(message=_l("Enter an email address.")),
            Length(max=254, message=_l("Email addresses are at most 254 characters.")),
        ],
    )


def _password(label, message=None) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(message=message or _l("Enter a password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=too_long(MAX_PASSWORD_LENGTH)),
        ],
    )


def _display_name() -> StringField:
    return StringField(
        _l("Display name"),
        validators=[
            InputRequired(message=NAME_MISSING),
            Length(max=MAX_DISPLAY_NAME, message=too_long(MAX_DISPLAY_NAME)),
        ],
    )


class RegisterForm(Form):
    email = _email()
    display_name = _display_name()
    password = _password(PASSWORD)


class LoginForm(Form):
    email = _email()
    password = _password(PASSWORD, _l("Enter your password."))
    remember = BooleanField(_l("Remember me on this device"))


class ResendVerificationForm(Form):
    next = HiddenField()


class ResetRequestForm(Form):
    email = _email()


class ResetPasswordForm(Form):
    password = _password(NEW_PASSWORD, ENTER_NEW_PASSWORD)


class ChangePasswordForm(Form):
    current_password = _password(CURRENT_PASSWORD, ENTER_CURRENT_PASSWORD)
    new_password = _password(NEW_PASSWORD, ENTER_NEW_PASSWORD)


class ChangeEmailForm(Form):
    new_email = _email(_l("New email address"))
    current_password = _password(CURRENT_PASSWORD, ENTER_CURRENT_PASSWORD)


class SettingsForm(Form):
    display_name = _display_name()
    bio = TextAreaField(_l("About you"), validators=[Length(max=MAX_BIO, message=BIO_TOO_LONG)])
    # The service checks the zone against the list, with a clearer message than WTForms'.
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    digest_frequency = SelectField(
        _l("Email digest of new posts"),
        choices=[SelectChoice(choice.value, label) for choice, label in DIGEST_LABELS.items()],
        validate_choice=False,
    )
    # Each language is named in itself, so whoever reads it finds their own.
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Your browser’s language")),
            *(SelectChoice(code, name) for code, name in LANGUAGES.items()),
        ],
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(name) for name in timezone_names()]


class DeleteAccountForm(Form):
    posts = RadioField(
        _l("What happens to your posts"),
        choices=[
            SelectChoice("keep", _l("Keep them, signed “Deleted member”")),
            SelectChoice("remove", _l("Remove their text")),
        ],
        default="keep",
        validators=[InputRequired(message=_l("Choose what happens to your posts."))],
    )
    password = _password(_l("Your password, to confirm"), _l("Enter your password to confirm."))
