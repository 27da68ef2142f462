from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from forum.core.forms import Form
from forum.discussions.services import MAX_BODY_LENGTH

_body_validators = [
    InputRequired(message="Write something before posting."),
    Length(
        max=MAX_BODY_LENGTH,
        message=f"Posts are limited to {MAX_BODY_LENGTH:,} characters; shorten it a little.",
    ),
]


HONEYPOT_LABEL = "Leave this field empty (it catches robots that post spam)"


class CommentForm(Form):
    body = TextAreaField("Your comment", validators=_body_validators)
    # Hidden from sight; people leave it empty, spam robots fill in every field.
    website = StringField(HONEYPOT_LABEL)


class ReplyForm(Form):
    body = TextAreaField("Your reply", validators=_body_validators)
    website = StringField(HONEYPOT_LABEL)


class EditPostForm(Form):
    body = TextAreaField("Your post", validators=_body_validators)
