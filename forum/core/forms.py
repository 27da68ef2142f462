"""The base form: every text field is cleaned of NUL and control bytes before validation."""

from __future__ import annotations

from flask_wtf import FlaskForm

from forum.core.errors import ValidationFailed
from forum.core.text import clean_input
from forum.extensions import db


def _clean(value):
    return clean_input(value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            filters.insert(0, _clean)
            options["filters"] = filters
            return unbound_field.bind(form=form, **options)


def show_refusal(form: Form, error: ValidationFailed) -> None:
    """A service refused the input: undo its writes and show why beside the field it names
    (or above the form); the user's text stays in the form."""
    db.session.rollback()
    field = form._fields.get(error.field) if error.field else None
    (field.errors if field is not None else form.form_errors).append(error.message)
