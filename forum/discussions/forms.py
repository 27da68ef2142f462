from __future__ import annotations

from wtforms import TextAreaField
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


class CommentForm(Form):
    body = TextAreaField("Your comment", validators=_body_validators)


class ReplyForm(Form):
    body = TextAreaField("Your reply", validators=_body_validators)


class EditPostForm(Form):
    body = TextAreaField("Your post", validators=_body_validators)
