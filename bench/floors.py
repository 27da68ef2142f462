"""The two floors the forum's pages are measured against, served the same way (gunicorn, two
sync workers):

- ``static_app``: Flask returning a constant page of BENCH_STATIC_BYTES bytes (the size of the
  article page), the most any page of that size could do through Flask;
- ``rows_app``: Flask selecting the article's 200 posts from a SQLite file (BENCH_ROWS_DB) and
  rendering them flat with Jinja, with a connection per request as a minimal app has it.
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, g, render_template_string

ROWS_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{% for post in posts %}
<article id="post-{{ post.id }}"><header><a href="/users/{{ post.username }}">{{ post.author }}</a>
<time datetime="{{ post.created_at }}">{{ post.created_at }}</time></header>
<div class="post-body">{{ post.body_html|safe }}</div></article>
{% endfor %}
</main></body></html>
"""


def static_app() -> Flask:
    size = int(os.environ.get("BENCH_STATIC_BYTES", "30000"))
    line = "<p>" + "A constant paragraph of text standing in for the article page. " * 4 + "</p>\n"
    body = ("<!doctype html><html><body>" + line * (size // len(line) + 1))[:size]
    app = Flask(__name__)

    @app.get("/")
    def page():
        return body

    return app


def rows_app() -> Flask:
    path = os.environ["BENCH_ROWS_DB"]
    app = Flask(__name__)

    def connection() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(path)
            g.db.row_factory = sqlite3.Row
        return g.db

    @app.teardown_appcontext
    def close(_error) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.get("/")
    def page():
        posts = connection().execute(
            "SELECT id, author, username, created_at, body_html FROM posts ORDER BY id"
        )
        return render_template_string(ROWS_TEMPLATE, title="200 posts", posts=posts.fetchall())

    return app


def write_rows_database(path, rows: list[dict]) -> None:
    """The floor's SQLite file: the posts the article page shows, flat."""
    if os.path.exists(path):
        os.remove(path)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, author TEXT, username TEXT, "
            "created_at TEXT, body_html TEXT)"
        )
        db.executemany(
            "INSERT INTO posts VALUES (:id, :author, :username, :created_at, :body_html)", rows
        )
    db.close()
