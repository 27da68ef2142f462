"""The article editor's form: shape only; the services check meaning."""

from __future__ import annotations

from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forum.articles.textformat import MAX_PUBLICATION, MAX_TITLE
from forum.core.forms import Form


class ArticleForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE)])
    publication = StringField("Publication", validators=[Length(max=MAX_PUBLICATION)])
    author_name = StringField("Author's name", validators=[Length(max=200)])
    author_bio = TextAreaField("About the author", validators=[Length(max=5000)])
    published_on = DateField("Published on", validators=[Optional()])
    body_md = TextAreaField("Text (markdown)", validators=[DataRequired(), Length(max=200_000)])
    figure_lines = TextAreaField("Photo captions", validators=[Length(max=20_000)])
    reading_lines = TextAreaField("Further reading", validators=[Length(max=20_000)])
    group_lines = TextAreaField("Discussion groups", validators=[Length(max=2_000)])
    is_hidden = BooleanField("Hide this article from readers")
    submit = SubmitField("Save article")


class FeedForm(Form):
    url = URLField(
        "Feed address (RSS or Atom)",
        validators=[
            InputRequired(message="Enter the address of an RSS or Atom feed."),
            Length(max=1000),
        ],
    )
    submit = SubmitField("Follow this feed")


class FeedActionForm(Form):
    """A button that POSTs (poll now, stop following); only the CSRF token travels."""
