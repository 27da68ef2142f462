"""The article editor's form: shape only; the services check meaning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forum.articles.textformat import MAX_PUBLICATION, MAX_TITLE
from forum.core.forms import Form


class ArticleForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    publication = StringField(_l("Publication"), validators=[Length(max=MAX_PUBLICATION)])
    author_name = StringField(_l("Author's name"), validators=[Length(max=200)])
    author_bio = TextAreaField(_l("About the author"), validators=[Length(max=5000)])
    published_on = DateField(_l("Published on"), validators=[Optional()])
    body_md = TextAreaField(_l("Text (markdown)"), validators=[DataRequired(), Length(max=200_000)])
    figure_lines = TextAreaField(_l("Photo captions"), validators=[Length(max=20_000)])
    reading_lines = TextAreaField(_l("Further reading"), validators=[Length(max=20_000)])
    group_lines = TextAreaField(_l("Discussion groups"), validators=[Length(max=2_000)])
    is_hidden = BooleanField(_l("Hide this article from readers"))
    submit = SubmitField(_l("Save article"))


class FeedForm(Form):
    url = URLField(
        _l("Feed address (RSS or Atom)"),
        validators=[
            InputRequired(message=_l("Enter the address of an RSS or Atom feed.")),
            Length(max=1000),
        ],
    )
    submit = SubmitField(_l("Follow this feed"))


class FeedActionForm(Form):
    """A button that POSTs (poll now, stop following); only the CSRF token travels."""
