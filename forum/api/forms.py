from __future__ import annotations

from wtforms import BooleanField, RadioField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from forum.api.services import MAX_TOKEN_NAME, MAX_URL
from forum.core.forms import Form


class TokenForm(Form):
    name = StringField(
        "Name",
        validators=[
            InputRequired(message="Name the token, e.g. after the script that uses it."),
            Length(max=MAX_TOKEN_NAME, message=f"Keep the name under {MAX_TOKEN_NAME} characters."),
        ],
    )
    scope = RadioField(
        "What it may do",
        choices=[
            SelectChoice("read", "Read: see what you can see on the site"),
            SelectChoice("write", "Read and write: also post, edit, vote, flag and RSVP as you"),
        ],
        default="read",
        validators=[InputRequired(message="Choose read or read and write.")],
    )


class WebhookForm(Form):
    url = URLField(
        "Address (URL) that receives the events",
        validators=[
            InputRequired(message="Give the address the events are sent to."),
            Length(max=MAX_URL, message=f"Keep the address under {MAX_URL} characters."),
        ],
    )
    post_created = BooleanField("New posts (post.created)", default=True)
    moderation_decision = BooleanField("Moderation decisions (moderation.decision)", default=True)

    def chosen_events(self) -> list[str]:
        chosen = []
        if self.post_created.data:
            chosen.append("post.created")
        if self.moderation_decision.data:
            chosen.append("moderation.decision")
        return chosen
