"""Configuration: defaults -> instance file -> FORUM_* environment -> the caller's dict.

A fresh clone runs with no configuration at all: the database, the secret key and the mail
folder all live in the instance folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULTS = {
    "SITE_NAME": "Forum",
    "BASE_URL": "http://127.0.0.1:5000",
    "MAIL_FROM": "Forum <forum@localhost>",
    "REDIS_URL": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "PASSWORD_HASH_METHOD": "scrypt",
    "POSTS_PER_PAGE": 20,
    "ARTICLES_PER_PAGE": 20,
    "MAX_THREAD_DEPTH": 6,
    "VERIFY_TOKEN_MAX_AGE": 7 * 24 * 3600,
    "RESET_TOKEN_MAX_AGE": 3600,
    "RATELIMIT_AUTH": "10 per minute",
    "RATELIMIT_HEADERS_ENABLED": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # How many reverse proxies (nginx, a load balancer) stand in front and set X-Forwarded-*;
    # 0 trusts none, so a client cannot fake its address past the rate limits.
    "PROXIES": 0,
}

# FORUM_<NAME> environment variables and the config keys they set.
ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "BASE_URL": "BASE_URL",
    "MAIL_URL": "MAIL_URL",
    "MAIL_FROM": "MAIL_FROM",
    "REDIS_URL": "REDIS_URL",
    "PROXIES": "PROXIES",
}


def instance_path() -> Path:
    return Path(os.environ.get("FORUM_INSTANCE_PATH", "instance")).resolve()


def load(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` in order of precedence; later sources win."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("forum.cfg", silent=True)
    for name, key in ENVIRONMENT.items():
        value = os.environ.get(f"FORUM_{name}")
        if value:
            app.config[key] = value
    app.config.update(overrides or {})
    app.config["PROXIES"] = int(app.config["PROXIES"])

    instance = Path(app.instance_path)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'forum.db'}")
    app.config.setdefault("MAIL_URL", f"file://{instance / 'mail'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    app.config.update(mail_settings(app.config["MAIL_URL"]))
    app.config["MAIL_DEFAULT_SENDER"] = app.config["MAIL_FROM"]
    app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")


def _instance_secret(instance: Path) -> str:
    """Generate the secret key once and keep it, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def mail_settings(url: str) -> dict:
    """Translate FORUM_MAIL_URL into the mail backend's settings."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "console":
        return {"MAIL_BACKEND": "console"}
    if scheme == "locmem":
        return {"MAIL_BACKEND": "locmem"}
    if scheme == "file":
        return {"MAIL_BACKEND": "file", "MAIL_FILE_PATH": unquote(parts.netloc + parts.path)}
    if scheme in ("smtp", "smtps"):
        query = parse_qs(parts.query)
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": parts.hostname or "localhost",
            "MAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
            "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
            "MAIL_USE_SSL": scheme == "smtps",
            "MAIL_USE_TLS": query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            "MAIL_TIMEOUT": 10,
        }
    raise ValueError(
        f"FORUM_MAIL_URL {url!r} is not understood: use smtp://, smtps://, file:// or console://"
    )
