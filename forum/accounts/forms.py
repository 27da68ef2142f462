"""The shapes of the account forms; what the values mean is checked in services."""

from __future__ import annotations

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
from forum.accounts.services import MAX_BIO, MAX_DISPLAY_NAME, MAX_PASSWORD_LENGTH
from forum.core.forms import Form
from forum.core.timefmt import timezone_names


def _email(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        validators=[
            InputRequired(message="Enter an email address."),
            Length(max=254, message="Email addresses are at most 254 characters."),
        ],
    )


def _password(label: str, message: str = "Enter a password.") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(message=message),
            Length(
                max=MAX_PASSWORD_LENGTH,
                message=f"Use at most {MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )


def _display_name() -> StringField:
    return StringField(
        "Display name",
        validators=[
            InputRequired(message="Enter the name others will see beside your posts."),
            Length(max=MAX_DISPLAY_NAME, message=f"Use at most {MAX_DISPLAY_NAME} characters."),
        ],
    )


class RegisterForm(Form):
    email = _email()
    display_name = _display_name()
    password = _password("Password")


class LoginForm(Form):
    email = _email()
    password = _password("Password", "Enter your password.")
    remember = BooleanField("Remember me on this device")


class ResendVerificationForm(Form):
    next = HiddenField()


class ResetRequestForm(Form):
    email = _email()


class ResetPasswordForm(Form):
    password = _password("New password", "Enter a new password.")


class ChangePasswordForm(Form):
    current_password = _password("Current password", "Enter your current password.")
    new_password = _password("New password", "Enter a new password.")


class ChangeEmailForm(Form):
    new_email = _email("New email address")
    current_password = _password("Current password", "Enter your current password.")


class SettingsForm(Form):
    display_name = _display_name()
    bio = TextAreaField(
        "About you",
        validators=[Length(max=MAX_BIO, message=f"Keep it under {MAX_BIO:,} characters.")],
    )
    # The service checks the zone against the list, with a clearer message than WTForms'.
    timezone = SelectField("Time zone", validate_choice=False)
    digest_frequency = SelectField(
        "Email digest of new posts",
        choices=[
            SelectChoice(choice.value, choice.value.capitalize()) for choice in DigestFrequency
        ],
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(name) for name in timezone_names()]


class DeleteAccountForm(Form):
    posts = RadioField(
        "What happens to your posts",
        choices=[
            SelectChoice("keep", "Keep them, signed “Deleted member”"),
            SelectChoice("remove", "Remove their text"),
        ],
        default="keep",
        validators=[InputRequired(message="Choose what happens to your posts.")],
    )
    password = _password("Your password, to confirm", "Enter your password to confirm.")
