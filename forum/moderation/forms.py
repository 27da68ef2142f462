from __future__ import annotations

from datetime import UTC, datetime, time

from flask_babel import LazyString, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forum.core.forms import Form
from forum.discussions.services import MAX_BODY_LENGTH
from forum.moderation.models import FlagReason, Mode
from forum.moderation.services import (
    FLAG_REASON_NEEDED,
    MAX_REASON_LENGTH,
    MAX_WARNING_LENGTH,
    REASON_NEEDED,
    WARNING_NEEDED,
    WARNING_TOO_LONG,
)

# What the reasons are called on the pages, in the reader's language; the flag stores the
# reason's value, and the model's English labels serve what is stored (a post's hold reasons).
FLAG_REASON_NAMES = {
    FlagReason.SPAM: _l("Spam"),
    FlagReason.ABUSE: _l("Abusive or uncivil"),
    FlagReason.OFF_TOPIC: _l("Off topic"),
    FlagReason.OTHER: _l("Something else"),
}

_reason_length = Length(
    max=MAX_REASON_LENGTH,
    message=LazyString(
        lambda: _("Keep it under %(limit)s characters.", limit=format_number(MAX_REASON_LENGTH))
    ),
)
_person_told = InputRequired(message=_l("Give a reason: the person is told it."))


class FlagForm(Form):
    reason = RadioField(
        _l("Why are you flagging this post?"),
        choices=[SelectChoice(reason.value, label) for reason, label in FLAG_REASON_NAMES.items()],
        validators=[InputRequired(message=FLAG_REASON_NEEDED)],
    )
    note = TextAreaField(
        _l("Note for the moderators (needed if you chose “Something else”)"), [_reason_length]
    )


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason (the author is told)"),
        validators=[InputRequired(message=REASON_NEEDED), _reason_length],
    )


class ModeratorEditForm(Form):
    body = TextAreaField(
        _l("Post text"),
        validators=[
            InputRequired(message=_l("The post needs some text.")),
            Length(max=MAX_BODY_LENGTH, message=_l("The text is too long.")),
        ],
    )
    reason = TextAreaField(_l("What you changed and why (for the log)"), [_reason_length])


class NoteForm(Form):
    """Delete a post or lock a discussion, with an optional note for the log."""

    reason = TextAreaField(_l("Reason (for the log)"), [_reason_length])


class SuspendForm(Form):
    until = DateField(
        _l("Suspended until (end of the day, UTC)"),
        validators=[InputRequired(message=_l("Choose the last day of the suspension."))],
    )
    reason = TextAreaField(
        _l("Reason (the person is told)"), validators=[_person_told, _reason_length]
    )

    def ends_at(self) -> datetime:
        """The suspension lasts to the end of the chosen day, UTC, as the label says."""
        return datetime.combine(self.until.data, time(23, 59, 59), tzinfo=UTC)


class WarnForm(Form):
    message = TextAreaField(
        _l("Warning (the author must read and acknowledge it before posting again)"),
        validators=[
            InputRequired(message=WARNING_NEEDED),
            Length(max=MAX_WARNING_LENGTH, message=WARNING_TOO_LONG),
        ],
    )


class BanForm(Form):
    reason = TextAreaField(
        _l("Reason (the person is told)"), validators=[_person_told, _reason_length]
    )


MODE_LABELS = {
    Mode.NEW_USERS: _l("Hold posts of new members until enough of theirs were approved"),
    Mode.ALL: _l("Hold every post for review (pre-moderation)"),
    Mode.NONE: _l("Publish at once and rely on flags (post-moderation)"),
}


class PolicyForm(Form):
    mode = SelectField(
        _l("When posts wait for a moderator"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
    )
    new_user_posts = IntegerField(
        _l("Approved posts before a person is no longer new"),
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )
    flag_threshold = IntegerField(
        _l("Flags from different readers that hide a post"),
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
    banned_words = TextAreaField(
        _l("Banned words (one a line; posts with them are refused)"),
        [Optional(), Length(max=20000)],
    )
    suspect_words = TextAreaField(
        _l("Suspect words (one a line; posts with them are held)"),
        [Optional(), Length(max=20000)],
    )
    hold_links = BooleanField(_l("Hold posts with links from new users"))
    read_only = BooleanField(_l("Read-only site: nobody but administrators posts, votes or flags"))


INHERIT = ""


class ScopedPolicyForm(Form):
    """A group's overrides: every setting left at “as the site” follows the site's policy."""

    mode = SelectField(
        _l("When posts wait for a moderator"),
        choices=[SelectChoice(INHERIT, _l("As the site’s policy"))]
        + [SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
    )
    new_user_posts = IntegerField(
        _l("Approved posts before a person is no longer new (empty: as the site)"),
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    flag_threshold = IntegerField(
        _l("Flags from different readers that hide a post (empty: as the site)"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    banned_words = TextAreaField(
        _l("Banned words, one a line (empty: as the site)"), [Optional(), Length(max=20000)]
    )
    suspect_words = TextAreaField(
        _l("Suspect words, one a line (empty: as the site)"), [Optional(), Length(max=20000)]
    )
    hold_links = SelectField(
        _l("Posts with links from new users"),
        choices=[
            SelectChoice(INHERIT, _l("As the site’s policy")),
            SelectChoice("1", _l("Held for review")),
            SelectChoice("0", _l("Published")),
        ],
    )
