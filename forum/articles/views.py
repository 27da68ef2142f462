from __future__ import annotations

from flask import Blueprint

bp = Blueprint("articles", __name__)


@bp.get("/")
def home():
    return "home"


@bp.get("/articles/")
def list_articles():
    return "articles"


@bp.get("/articles/<slug>")
def show_article(slug):
    return slug


@bp.get("/feeds/articles.atom")
def show_feed():
    return "feed"
