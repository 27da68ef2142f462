"""Whole pages cached for anonymous readers, never stale and never anyone else's.

Correctness rests on one rule: every transaction that writes anything also stores a new random
content version, in the same transaction (an engine-level hook sees every INSERT, UPDATE and
DELETE, whichever code sent it: services, moderation, the CLI, bulk statements). A cached page
is keyed by that version, so it is served only while nothing at all has changed since it was
rendered; one cheap query per request reads the version. Versions are random, not counted, so
an emptied database never brings an old version back.

Only anonymous GETs of the pages in ``PAGE_CACHE_ENDPOINTS`` are cached: they look the same to
every anonymous reader (UTC times, no forms with tokens, nothing hidden shown). A response
that sets a cookie is never stored. Entries also expire after ``PAGE_CACHE_SECONDS`` for what
changes with time alone.

The store is per process (a bounded LRU) in the embedded default: each gunicorn worker
renders a page once per version. With FORUM_REDIS_URL set, the store is Redis, shared by every
worker and instance, so a page is rendered once per version for all of them. Either way the
version lives in the database, so a store can only save renders, never serve a stale page.

Signed-in readers get pages rendered for them, but the parts of a page that are the same for
many of them (a post's heading and its buttons, see forum.discussions.views) are stored here as
fragments: keyed by a digest of everything the fragment shows, so a changed post simply has a
new key and an entry can never be stale (``fragment_key``, ``get_fragments``, ``put_fragments``;
``FRAGMENT_CACHE_SECONDS`` only frees memory).

Cached pages carry an ETag of their body and ``Cache-Control: no-cache``: a browser that
asks again with ``If-None-Match`` gets a 304 without the body while nothing has changed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import Connection, Engine, String, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.i18n import current_language
from forum.core.web import accepts_gzip, carries_no_secret, gzip_body, may_be_signed_in
from forum.extensions import db

WRITES = ("insert", "update", "delete", "replace")
# Statements that change nothing a page shows.
IGNORED_TABLES = ("alembic_version", "page_versions")
DEFAULT_ENDPOINTS = (
    "articles.home",
    "articles.list_articles",
    "articles.show_article",
    "discussions.show_thread",
)
# Request headers that can turn a cached page into a 304 (or a part of it).
CONDITIONAL = frozenset(
    ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range", "If-Range")
)
# The key of a page's compressed copy, beside its plain one.
GZIPPED = ("gzip",)


class PageVersion(db.Model):
    """One row: the version of everything pages show."""

    __tablename__ = "page_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


@dataclass
class Entry:
    # A page's bytes, or a fragment's text or bytes (in process; Redis stores bytes).
    body: bytes | str
    headers: list[tuple[str, str]]
    stored_at: float

    @property
    def size(self) -> int:
        """Bytes, as PAGE_CACHE_MAX_BYTES counts them (text in other scripts takes several)."""
        body = self.body
        return len(body) if isinstance(body, bytes) else len(body.encode())


class PageStore:
    """A bounded, thread-safe LRU of rendered pages."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        # Each entry's size, counted once when it is put.
        self.sizes: dict[tuple, int] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple, max_age: float) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > max_age:
                self._remove(key)
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        size = entry.size
        if size > self.max_bytes // 4:
            return
        with self.lock:
            if key in self.entries:
                self._remove(key)
            self.entries[key] = entry
            self.sizes[key] = size
            self.size += size
            while self.size > self.max_bytes:
                self._remove(next(iter(self.entries)))

    def get_many(self, keys: list[tuple], max_age: float, as_bytes: bool = False) -> list:
        """Fragments of many entries at once, None where missing or older than ``max_age``.
        Kept as they were put (text, or bytes for a stored thread): a stored thread is
        hundreds of kilobytes, and converting it on every page cost more than the look-up."""
        now = time.monotonic()
        found: list[str | None] = []
        with self.lock:
            for key in keys:
                entry = self.entries.get(key)
                if entry is not None and now - entry.stored_at > max_age:
                    self._remove(key)
                    entry = None
                if entry is None:
                    found.append(None)
                else:
                    self.entries.move_to_end(key)
                    found.append(entry.body)
        if as_bytes:
            return [body.encode() if isinstance(body, str) else body for body in found]
        return found

    def put_many(self, fragments: dict[tuple, str | bytes], max_age: float) -> None:
        now = time.monotonic()
        for key, fragment in fragments.items():
            self.put(key, Entry(fragment, [], now))

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.sizes.clear()
            self.size = 0

    def _remove(self, key: tuple) -> None:
        del self.entries[key]
        self.size -= self.sizes.pop(key)


class RedisPageStore:
    """The same store shared in Redis; entries expire by themselves after ``max_age``.

    The key holds the content version, so entries of older versions are never read again and
    Redis evicts them at their expiry (or sooner under its own memory limit).
    """

    PREFIX = "forum:page:"

    def __init__(self, url: str, max_bytes: int, max_age: float):
        import redis

        # Short timeouts: a slow cache must not be slower than rendering the page.
        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.errors = (redis.RedisError, OSError)
        self.max_entry = max_bytes // 4
        self.max_age = max(1, int(max_age))

    def get(self, key: tuple, max_age: float) -> Entry | None:
        try:
            stored = self.redis.get(self._name(key))
        except self.errors:
            # The cache only saves work: without Redis, pages are rendered as usual.
            current_app.logger.warning("Page cache: Redis is unreachable", exc_info=True)
            return None
        if stored is None:
            return None
        head, _, body = stored.partition(b"\n")
        return Entry(body, [tuple(pair) for pair in json.loads(head)], time.monotonic())

    def put(self, key: tuple, entry: Entry) -> None:
        if len(entry.body) > self.max_entry:
            return
        head = json.dumps(entry.headers).encode()
        try:
            self.redis.set(self._name(key), head + b"\n" + entry.body, ex=self.max_age)
        except self.errors:
            current_app.logger.warning("Page cache: Redis is unreachable", exc_info=True)

    def get_many(self, keys: list[tuple], max_age: float, as_bytes: bool = False) -> list:
        """One round trip for a page's fragments, however many (``fragment_key``)."""
        if not keys:
            return []
        try:
            found = self.redis.mget([self._digest_name(key) for key in keys])
        except self.errors:
            current_app.logger.warning("Page cache: Redis is unreachable", exc_info=True)
            return [None] * len(keys)
        if as_bytes:
            return found
        return [None if body is None else body.decode() for body in found]

    def put_many(self, fragments: dict[tuple, str | bytes], max_age: float) -> None:
        pipeline = self.redis.pipeline(transaction=False)
        for key, fragment in fragments.items():
            body = fragment if isinstance(fragment, bytes) else fragment.encode()
            if len(body) <= self.max_entry:
                pipeline.set(self._digest_name(key), body, ex=max(1, int(max_age)))
        try:
            pipeline.execute()
        except self.errors:
            current_app.logger.warning("Page cache: Redis is unreachable", exc_info=True)

    def clear(self) -> None:
        names = list(self.redis.scan_iter(match=self.PREFIX + "*", count=500))
        if names:
            self.redis.delete(*names)

    def _name(self, key: tuple) -> str:
        return self.PREFIX + "\x1f".join(key)

    def _digest_name(self, key: tuple) -> str:
        """The name of an entry of ``get_many``/``put_many``, whose keys hold any values."""
        return self.PREFIX + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


# Fragments ---------------------------------------------------------------------------------


def release_version() -> str:
    """Changes with the code, the templates, the translations and the installed libraries:
    how a fragment is written (its markup, words, dates, addresses, the rules behind its
    buttons) lives in them, and in Redis fragments outlive a restart, so a new release must
    never use an older one's."""
    app = current_app._get_current_object()
    version = app.extensions.get("fragments_release")
    if version is None:
        digest = hashlib.blake2b(digest_size=8)
        for source in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
            digest.update(source.read_bytes())
        environment = app.jinja_env
        for name in sorted(environment.list_templates()):
            digest.update(name.encode())
            digest.update(environment.loader.get_source(environment, name)[0].encode())
        for directory in app.extensions["babel"].translation_directories:
            for catalogue in sorted(Path(directory).glob("*/LC_MESSAGES/*.mo")):
                digest.update(catalogue.read_bytes())
        # And the libraries that write into fragments (dates, markup): an upgrade of one
        # is a new release too.
        for name in sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()):
            digest.update(name.encode())
        version = app.extensions["fragments_release"] = digest.hexdigest()
    return version


def fragment_key(*parts: object) -> tuple:
    """A store key for a fragment of HTML that is a function of ``parts`` alone and of this
    release (``release_version``): callers put in the parts everything the fragment shows
    (ids, states, names, times, language, zone), so an entry can never be stale, only unused.
    Parts must be hashable and compare by value. In process the parts are the key (a page
    has hundreds: digesting each cost more than the look-up); Redis stores them under a
    digest (parts may be long or hold people's names)."""
    return ("fragment", release_version(), *parts)


def _fragment_store() -> PageStore | RedisPageStore | None:
    # While templates reload as they are edited (development), a release has no fixed
    # version: nothing is stored.
    if current_app.jinja_env.auto_reload:
        return None
    return current_app.extensions.get("page_cache")


def get_fragments(keys: list[tuple], as_bytes: bool = False) -> list:
    """The stored fragments for ``keys`` (None where not stored), in one look-up: as text,
    or with ``as_bytes`` as UTF-8 bytes (for fragments put as bytes)."""
    store = _fragment_store()
    if store is None or not keys:
        return [None] * len(keys)
    return store.get_many(keys, current_app.config["FRAGMENT_CACHE_SECONDS"], as_bytes)


def put_fragments(fragments: dict[tuple, str | bytes]) -> None:
    store = _fragment_store()
    if store is not None and fragments:
        store.put_many(fragments, current_app.config["FRAGMENT_CACHE_SECONDS"])


# Writes bump the version --------------------------------------------------------------------


def _is_write(statement: str) -> bool:
    head = statement.lstrip()[:7].lower()
    if not head.startswith(WRITES):
        return False
    lowered = statement[:200].lower()
    return not any(table in lowered for table in IGNORED_TABLES)


TABLE_RECHECK_SECONDS = 30
READ_VERSION = "SELECT token FROM page_versions WHERE id = 1"
# An upsert: the row may not exist yet (a fresh database, or one whose tables were emptied).
BUMP = (
    "INSERT INTO page_versions (id, token) VALUES (1, '{token}') "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)
# Writes also happen before the table exists (the migrations that precede it).
TABLE_EXISTS = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'page_versions'",
    "postgresql": "SELECT to_regclass('page_versions') IS NOT NULL",
}


def _watch_writes(engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
        if _is_write(statement):
            conn.info["page_cache_wrote"] = True

    @event.listens_for(engine, "commit")
    def _bump_before_commit(conn) -> None:
        # Runs before the DBAPI commit, so the new version commits with the writes or not at all.
        if not conn.info.pop("page_cache_wrote", False):
            return
        exists = TABLE_EXISTS.get(conn.dialect.name)
        if exists is None:
            return
        # The DBAPI cursor directly: the Connection is committing and takes no new statements.
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(exists)
            if cursor.fetchone()[0]:
                cursor.execute(BUMP.format(token=secrets.token_hex(16)))
        finally:
            cursor.close()

    @event.listens_for(engine, "rollback")
    def _forget_writes(conn) -> None:
        if not conn.invalidated:  # dropped by the server: nothing left to forget
            conn.info.pop("page_cache_wrote", None)


def transaction_wrote() -> bool:
    """Whether the session's transaction has written anything not yet committed (what was
    read before may then be out of date: a stored render must not be keyed by it)."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        return True
    return bool(session.connection().info.get("page_cache_wrote"))


# Reads serve from the store -----------------------------------------------------------------


def _store() -> PageStore | RedisPageStore:
    return current_app.extensions["page_cache"]


def _cacheable() -> bool:
    if (
        request.method != "GET"
        or request.endpoint not in current_app.config["PAGE_CACHE_ENDPOINTS"]
    ):
        return False
    # Anonymous and with nothing personal to show: no login, no remembered login, no messages.
    return "_flashes" not in session and not may_be_signed_in()


class VersionReaders:
    """Connections kept open for reading the version on PostgreSQL, outside any transaction:
    a cached page then costs one round trip, without the pool's check-out and return around
    it (they took a third of a hit's read). As many as threads read at once, outside the
    pool (so they never take the connections pages render with), and closed with it."""

    def __init__(self):
        self.idle: list[Connection] = []
        self.lock = threading.Lock()

    def read(self, engine: Engine) -> str | None:
        with self.lock:
            connection = self.idle.pop() if self.idle else None
        if connection is None:
            connection = engine.connect()
            # Out of the pool, which it would otherwise shrink by one for each thread, and
            # outside any transaction.
            connection.detach()
            connection.connection.dbapi_connection.autocommit = True
        try:
            version = connection.exec_driver_sql(READ_VERSION).scalar()
        except DBAPIError:
            # A restarted server, a dropped connection: this page goes uncached, and the
            # next read opens another connection.
            current_app.logger.info("Page cache: the version could not be read", exc_info=True)
            connection.close()
            return None
        with self.lock:
            self.idle.append(connection)
        return version

    def close(self, engine: Engine | None = None) -> None:
        """Closes the idle connections (an engine disposed of closes its pool's; these are
        outside it)."""
        with self.lock:
            idle, self.idle = self.idle, []
        for connection in idle:
            connection.close()


def _current_version() -> str | None:
    """The content version, or None (nothing is cached) on a database not yet migrated."""
    state = current_app.extensions["page_cache_table"]
    if not state["exists"]:
        if time.monotonic() < state["checked_at"] + TABLE_RECHECK_SECONDS:
            return None
        state["checked_at"] = time.monotonic()
        state["exists"] = inspect(db.engine).has_table(PageVersion.__tablename__)
        if not state["exists"]:
            return None
    # Read before anything the page shows, so a page is never stored under a newer version
    # than what it shows.
    engine = db.engine
    if engine.dialect.name == "postgresql":
        return current_app.extensions["page_version_readers"].read(engine)
    # SQLite has no round trip to save: a connection from the pool, in plain SQL (the
    # session's and an ORM select's bookkeeping cost more than the query).
    with engine.connect() as connection:
        return connection.exec_driver_sql(READ_VERSION).scalar()


def _serve_cached():
    if not _cacheable():
        return None
    version = _current_version()
    if version is None:
        return None
    key = (version, request.host, request.full_path, current_language())
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    entry = _store().get(key + GZIPPED, seconds) if accepts_gzip() else None
    if entry is None:
        entry = _store().get(key, seconds)
    if entry is None:
        g.page_cache_key = key  # rendered as usual, then stored
        return None
    response = Response(entry.body, headers=entry.headers)
    response.headers["X-Page-Cache"] = "hit"
    if CONDITIONAL.isdisjoint(request.headers.keys()):
        # Nothing to compare: answering conditionally would only read the headers again.
        return response
    return response.make_conditional(request)


def _store_rendered(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if key is None or response.status_code != 200 or response.direct_passthrough:
        return response
    if "Set-Cookie" in response.headers or "_flashes" in session or not carries_no_secret():
        # A page that made a form token holds this visitor's token: never one for everyone.
        return response
    response.add_etag()
    # Stored and reused as they are; a browser asks again each time, cheaply (a 304).
    response.headers["Cache-Control"] = "no-cache"
    # The language comes from these: a shared cache must not mix them up.
    response.vary.update(("Accept-Language", "Cookie"))
    headers = [(name, value) for name, value in response.headers if name != "X-Page-Cache"]
    body = response.get_data()
    _store().put(key, Entry(body, headers, time.monotonic()))
    # Compressed once per version too, so a hit costs no compression; a stored page carries
    # no secret, so it may be (forum.core.web: BREACH).
    compressed = gzip_body(body)
    etag = response.get_etag()[0]
    gzip_headers = [
        (name, value)
        for name, value in headers
        if name not in ("ETag", "Content-Length", "Content-Encoding")
    ]
    gzip_headers += [
        ("Content-Encoding", "gzip"),
        ("Content-Length", str(len(compressed))),
        ("ETag", f'"{etag}-gzip"'),
    ]
    _store().put(key + GZIPPED, Entry(compressed, gzip_headers, time.monotonic()))
    response.headers["X-Page-Cache"] = "miss"
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.config.setdefault("PAGE_CACHE", True)
    app.config.setdefault("PAGE_CACHE_SECONDS", 60)
    app.config.setdefault("PAGE_CACHE_MAX_BYTES", 64 * 1024 * 1024)
    app.config.setdefault("PAGE_CACHE_ENDPOINTS", DEFAULT_ENDPOINTS)
    # Fragments are keyed by what they show, so they may live long; this only frees memory.
    app.config.setdefault("FRAGMENT_CACHE_SECONDS", 24 * 3600)
    if not app.config["PAGE_CACHE"]:
        return
    if app.config.get("REDIS_URL"):
        app.extensions["page_cache"] = RedisPageStore(
            app.config["REDIS_URL"],
            app.config["PAGE_CACHE_MAX_BYTES"],
            app.config["PAGE_CACHE_SECONDS"],
        )
    else:
        app.extensions["page_cache"] = PageStore(app.config["PAGE_CACHE_MAX_BYTES"])
    app.extensions["page_cache_table"] = {"exists": False, "checked_at": -TABLE_RECHECK_SECONDS}
    readers = app.extensions["page_version_readers"] = VersionReaders()
    with app.app_context():
        _watch_writes(db.engine)
        event.listen(db.engine, "engine_disposed", readers.close)
    # First of the request hooks: a cached page needs none of the others (they still run on a
    # miss, and every after_request hook, the security headers among them, runs on a hit).
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_cached)
    app.after_request(_store_rendered)
