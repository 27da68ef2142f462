from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from forum.api.services import MAX_TOKEN_NAME, MAX_URL
from forum.core.forms import Form


class TokenForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Name the token, e.g. after the script that uses it.")),
            Length(max=MAX_TOKEN_NAME, message=_l("Keep the name under %(max)d characters.")),
        ],
    )
    scope = RadioField(
        _l("What it may do"),
        choices=[
            SelectChoice("read", _l("Read: see what you can see on the site")),
            SelectChoice(
                "write", _l("Read and write: also post, edit, vote, flag and RSVP as you")
            ),
        ],
        default="read",
        validators=[InputRequired(message=_l("Choose read or read and write."))],
    )


class WebhookForm(Form):
    url = URLField(
        _l("Address (URL) that receives the events"),
        validators=[
            InputRequired(message=_l("Give the address the events are sent to.")),
            Length(max=MAX_URL, message=_l("Keep the address under %(max)d characters.")),
        ],
    )
    post_created = BooleanField(_l("New posts (post.created)"), default=True)
    moderation_decision = BooleanField(
        _l("Moderation decisions (moderation.decision)"), default=True
    )

    def chosen_events(self) -> list[str]:
        chosen = []
        if self.post_created.data:
            chosen.append("post.created")
        if self.moderation_decision.data:
            chosen.append("moderation.decision")
        return chosen
