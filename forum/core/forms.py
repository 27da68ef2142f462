"""The base form: every text field is cleaned of NUL and control bytes before validation."""

from __future__ import annotations

from flask_wtf import FlaskForm

from forum.core.text import clean_input


def _clean(value):
    return clean_input(value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            filters.insert(0, _clean)
            options["filters"] = filters
            return unbound_field.bind(form=form, **options)
