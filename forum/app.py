"""The application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from forum import config, models  # noqa: F401 - the whole schema, for Alembic and create_all
from forum.extensions import csrf, db, limiter, login_manager, mail, migrate

PACKAGE = Path(__file__).resolve().parent


def _beside_or_inside(name: str) -> Path:
    """templates/, static/, migrations/: beside the package in a checkout, inside in a wheel."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        "forum",
        instance_path=str(config.instance_path()),
        instance_relative_config=True,
        template_folder=str(_beside_or_inside("templates")),
        static_folder=str(_beside_or_inside("static")),
    )
    config.load(app, overrides)
    if app.config["PROXIES"]:
        proxies = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_beside_or_inside("migrations")), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)

    from forum.core import i18n, pagecache, transactions

    transactions.init_app(app)
    i18n.init_app(app, str(_beside_or_inside("translations")))
    pagecache.init_app(app)

    from forum import notifications

    notifications.init_app(app)

    _register_blueprints(app)
    _register_templates(app)
    _register_cli(app)

    from forum.core import web

    web.init_app(app)

    from forum import api

    api.init_app(app)

    from forum.core import splice

    splice.init_app(app)  # last, see there
    return app


def _register_blueprints(app: Flask) -> None:
    from forum.accounts.views import bp as accounts
    from forum.admin.views import bp as admin
    from forum.api.views import bp as api
    from forum.api.views import pages as api_pages
    from forum.articles.feedviews import bp as feeds
    from forum.articles.views import bp as articles
    from forum.core.health import bp as health
    from forum.discussions.views import bp as discussions
    from forum.embed.views import bp as embed
    from forum.groups.views import bp as groups
    from forum.moderation.views import bp as moderation
    from forum.notifications.views import bp as notifications
    from forum.search.views import bp as search

    for blueprint in (
        health,
        accounts,
        articles,
        feeds,
        discussions,
        embed,
        groups,
        search,
        moderation,
        notifications,
        admin,
        api,
        api_pages,
    ):
        app.register_blueprint(blueprint)
    # The API checks CSRF itself: in a header for cookie sessions, not at all for tokens.
    csrf.exempt(api)


def _register_templates(app: Flask) -> None:
    """Every ``can_*`` permission is a template global, so templates ask and never decide."""
    from forum.accounts import permissions as account_permissions
    from forum.admin import permissions as admin_permissions
    from forum.articles import permissions as article_permissions
    from forum.core.timefmt import time_tag
    from forum.discussions import permissions as discussion_permissions
    from forum.groups import permissions as group_permissions
    from forum.moderation import permissions as moderation_permissions
    from forum.notifications import permissions as notification_permissions

    for module in (
        account_permissions,
        article_permissions,
        discussion_permissions,
        group_permissions,
        notification_permissions,
        moderation_permissions,
        admin_permissions,
    ):
        for name in dir(module):
            if name.startswith("can_"):
                app.jinja_env.globals[name] = getattr(module, name)

    def localtime(moment, with_time: bool = True):
        from flask_login import current_user

        zone_name = getattr(current_user, "timezone", None)
        return time_tag(moment, zone_name, with_time)

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]
    app.jinja_env.add_extension("jinja2.ext.do")


def _register_cli(app: Flask) -> None:
    from forum.accounts.cli import users
    from forum.articles.cli import import_articles
    from forum.demo.cli import demo
    from forum.groups.cli import groups
    from forum.notifications.cli import COMMANDS as notification_commands
    from forum.ops.cli import COMMANDS as ops_commands

    for command in (users, import_articles, demo, groups, *notification_commands, *ops_commands):
        app.cli.add_command(command)
