"""Parts of a page kept as bytes are joined into it whole, wherever the template shows them."""

from __future__ import annotations

from flask import make_response, render_template_string

from forum.core.splice import Part


def test_a_part_shown_twice_is_joined_in_at_both_places(app):
    summer = Part("<p>Été à Zürich — 夏</p>".encode())
    with app.test_request_context("/"):
        page = render_template_string("<main>{{ part }}<hr>{{ part }}</main>", part=summer)
        response = app.process_response(make_response(page))
    body = response.get_data(as_text=True)
    assert body == "<main><p>Été à Zürich — 夏</p><hr><p>Été à Zürich — 夏</p></main>"
    assert response.content_length == len(body.encode())


def test_an_empty_part_is_false_to_templates(app):
    with app.test_request_context("/"):
        page = render_template_string(
            "{% if part %}{{ part }}{% else %}No comments yet.{% endif %}", part=Part(b"")
        )
        response = app.process_response(make_response(page))
    assert response.get_data(as_text=True) == "No comments yet."
