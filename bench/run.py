"""`make bench`: generate the data set, serve it with gunicorn, measure it against two floors;
then a morning's digests (bench/digests.py: 10,000 people and 50,000 new posts at scale 1).

    python -m bench.run [--scale 1] [--reuse] [--duration 15] [--database-url URL]

FORUM_DATABASE_URL (or --database-url) chooses the database: the default is a SQLite file in
the work directory; a PostgreSQL URL works the same way (its database is emptied first).
Prints a table and writes bench/results/<date>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.floors import write_rows_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def say(message: str) -> None:
    print(message, flush=True)


# Measurements ----------------------------------------------------------------------------


@dataclass
class Load:
    """What a load generator measured for one URL."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str


@dataclass
class PageResult:
    name: str
    path: str
    signed_in: str | None = None
    status: int | None = None
    bytes: int | None = None
    queries: int | None = None
    load: Load | None = None
    # Latency with no other request waiting (one client, one request at a time), in ms.
    alone_p50_ms: float | None = None
    note: str = ""
    ratios: dict = field(default_factory=dict)


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, cookie: str | None, duration: int, threads: int, connections: int) -> Load:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "--latency", url,
    ]  # fmt: skip
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    if "50" not in latency or "99" not in latency:
        raise RuntimeError(f"wrk's output was not understood:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(latency["50"]),
        p99_ms=_milliseconds(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        tool="wrk",
    )


def run_python_load(url: str, cookie: str | None, duration: int, connections: int) -> Load:
    """A small stand-in for wrk: keep-alive connections in threads, for machines without it.
    It measures less precisely (the GIL is shared with the clients), so say which tool ran."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Cookie": cookie} if cookie else {}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(connections)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return _summary(latencies, elapsed, errors[0], "python")


def _summary(latencies: list[float], elapsed: float, errors: int, tool: str) -> Load:
    ordered = sorted(latencies) or [0.0]
    return Load(
        requests_per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(ordered[len(ordered) // 2] * 1000, 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        requests=len(latencies),
        errors=errors,
        tool=tool,
    )


# Servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with two sync workers on a free port, stopped by its own pid."""

    def __init__(self, app: str, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.log = log
        command = [
            str(GUNICORN), app, "--workers", str(workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-", "--log-level", "warning",
            "--access-logformat", "%(s)s %(m)s %(U)s",
        ]  # fmt: skip
        self.handle = log.open("a")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=self.handle,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str = "/", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                connection.getresponse().read()
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                if parent == self.process.pid:
                    children.append(int(entry.name))
        return children

    def peak_memory_mb(self) -> float | None:
        """The largest resident set any worker reached (VmHWM), in MB."""
        peaks = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                match = re.search(r"VmHWM:\s+(\d+) kB", status)
                if match:
                    peaks.append(int(match.group(1)) / 1024)
        return round(max(peaks), 1) if peaks else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()


class Browser:
    """A cookie-keeping HTTP client: logs in once through the form, as a person would."""

    def __init__(self, base_url: str):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        # Long enough for a slow page after a load test, whose queued requests come first.
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=180)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def csrf(self, path: str) -> str:
        status, data = self.request("GET", path)
        match = CSRF.search(data.decode())
        if not match:
            raise RuntimeError(f"no CSRF token on {path} (status {status})")
        return match.group(1)

    def login(self, email: str, password: str) -> None:
        token = self.csrf("/auth/login")
        status, _ = self.request(
            "POST", "/auth/login", {"csrf_token": token, "email": email, "password": password}
        )
        if status != 302:
            raise RuntimeError(f"logging in as {email} answered {status}")


# The run ---------------------------------------------------------------------------------


def pages(manifest) -> list[PageResult]:
    article = f"/articles/{manifest.bench_slug}"
    search = "/search?" + urllib.parse.urlencode({"q": manifest.search_term})
    return [
        PageResult("home", "/"),
        PageResult("article list", "/articles/"),
        PageResult("article, 200 posts, anonymous", article),
        PageResult("article, 200 posts, logged in", article, signed_in="reader"),
        PageResult("hot discussion, first page", f"/articles/{manifest.hot_slug}"),
        PageResult(
            "hot discussion, last page", f"/articles/{manifest.hot_slug}?page={manifest.hot_pages}"
        ),
        PageResult("search", search),
        PageResult("group page", f"/groups/{manifest.group_slug}"),
        PageResult("moderation queue", "/moderation/", signed_in="moderator"),
    ]


def reply_target(app, manifest) -> int:
    """A post to reply to on a page that is not measured, so a rerun with --reuse measures
    the same pages: the first post of the deep discussion."""
    from sqlalchemy import select

    from forum.articles.models import Article
    from forum.discussions.models import Discussion, Post, PostState
    from forum.extensions import db

    with app.app_context():
        return db.session.scalar(
            select(Post.id)
            .join(Discussion, Discussion.id == Post.discussion_id)
            .join(Article, Article.id == Discussion.article_id)
            .where(Article.slug == manifest.deep_slug, Post.state == PostState.PUBLISHED)
            .order_by(Post.id)
            .limit(1)
        )


def count_queries(app, manifest, results: list[PageResult]) -> dict:
    """SQL statements per page, counted in-process with the test client; and for a reply."""
    from sqlalchemy import event

    from forum.extensions import db

    counted: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        counted.append(statement)

    reply_to = reply_target(app, manifest)
    clients = {None: app.test_client()}
    for persona, email in (
        ("reader", manifest.reader_email),
        ("moderator", manifest.moderator_email),
    ):
        client = app.test_client()
        token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        response = client.post(
            "/auth/login",
            data={"csrf_token": token, "email": email, "password": manifest.password},
        )
        if response.status_code != 302:
            raise RuntimeError(f"in-process login as {email} answered {response.status_code}")
        clients[persona] = client
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for page in results:
            client = clients[page.signed_in]
            client.get(page.path)  # caches warm, as on a serving worker
            counted.clear()
            response = client.get(page.path)
            page.status = response.status_code
            page.bytes = len(response.data)
            page.queries = len(counted)
        client = clients["reader"]
        article = client.get(f"/articles/{manifest.bench_slug}").get_data(as_text=True)
        token = CSRF.search(article).group(1)
        # The reply's own statements: its announcement is a job for the worker, even where
        # the app runs jobs at once (TESTING, as in the smoke test).
        from forum.notifications.jobs import get_huey

        huey = get_huey(app)
        immediate, huey.immediate = huey.immediate, False
        counted.clear()
        try:
            response = client.post(
                f"/posts/{reply_to}/reply",
                data={
                    "csrf_token": token,
                    "body": f"Counting the queries of a reply {time.time()}",
                },
            )
        finally:
            huey.immediate = immediate
        reply = {"status": response.status_code, "queries": len(counted)}
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return reply


def floor_rows(app, manifest) -> list[dict]:
    """The bench article's posts, as the rows floor serves them."""
    from sqlalchemy import select

    from forum.accounts.models import User
    from forum.discussions.models import Post, PostState
    from forum.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(Post.id, User.display_name, User.username, Post.created_at, Post.body_html)
            .join(User, User.id == Post.author_id)
            .where(
                Post.discussion_id == manifest.bench_discussion_id,
                Post.state == PostState.PUBLISHED,
            )
            .order_by(Post.id)
        ).all()
    return [
        {
            "id": row[0],
            "author": row[1],
            "username": row[2],
            "created_at": row[3].isoformat(),
            "body_html": row[4],
        }
        for row in rows
    ]


def alone_latency(browser: Browser, path: str, count: int = 20) -> float:
    """The median latency of ``path`` requested alone, one request after another."""
    browser.request("GET", path)
    latencies: list[float] = []
    deadline = time.perf_counter() + 10  # a slow page gets fewer samples, not minutes
    while len(latencies) < count and (len(latencies) < 3 or time.perf_counter() < deadline):
        began = time.perf_counter()
        browser.request("GET", path)
        latencies.append(time.perf_counter() - began)
    return round(statistics.median(latencies) * 1000, 2)


def post_replies(browser: Browser, manifest, reply_to: int, count: int) -> Load:
    """Post ``count`` replies one after another, each a new text; the latency of each POST."""
    token = browser.csrf(f"/articles/{manifest.bench_slug}")
    latencies = []
    started = time.perf_counter()
    errors = 0
    for number in range(count):
        began = time.perf_counter()
        status, _ = browser.request(
            "POST",
            f"/posts/{reply_to}/reply",
            {"csrf_token": token, "body": f"Benchmark reply {number} at {time.time_ns()}"},
        )
        latencies.append(time.perf_counter() - began)
        if status != 302:
            errors += 1
    return _summary(latencies, time.perf_counter() - started, errors, "sequential")


def measure(server_url: str, path: str, cookie: str | None, options) -> Load:
    url = server_url + path
    if options.load_tool == "wrk":
        return run_wrk(url, cookie, options.duration, options.threads, options.connections)
    return run_python_load(url, cookie, options.duration, options.connections)


def measure_floors(specs, options, logs: Path) -> dict[str, Load]:
    """Each floor served as the forum is, under the same load."""
    measured = {}
    for name, app_spec, floor_env in specs:
        floor = Server(app_spec, floor_env, options.workers, logs)
        try:
            floor.wait("/")
            say(f"  floor {name}: {options.duration} s of load")
            measured[name] = measure(floor.url, "/", None, options)
        finally:
            floor.stop()
    return measured


def mean_load(first: Load, second: Load) -> Load:
    """Two runs of one floor as one: the machine's load may have changed in between."""
    return Load(
        requests_per_second=round((first.requests_per_second + second.requests_per_second) / 2, 1),
        p50_ms=round((first.p50_ms + second.p50_ms) / 2, 2),
        p99_ms=round((first.p99_ms + second.p99_ms) / 2, 2),
        requests=first.requests + second.requests,
        errors=first.errors + second.errors,
        tool=first.tool,
    )


def table(results: list[PageResult], floors: dict[str, Load], reply: dict) -> str:
    lines = [
        f"{'page':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL':>4} {'KB':>6} "
        f"{'÷static':>8} {'÷rows':>7} {'alone':>7}  note"
    ]
    for name, load in floors.items():
        lines.append(
            f"{'floor: ' + name:34} {load.requests_per_second:8.1f} {load.p50_ms:8.2f} "
            f"{load.p99_ms:8.2f}"
        )
    for page in results:
        if page.load is None:
            lines.append(f"{page.name:34} {page.note}")
            continue
        load = page.load
        lines.append(
            f"{page.name:34} {load.requests_per_second:8.1f} {load.p50_ms:8.2f} "
            f"{load.p99_ms:8.2f} {page.queries if page.queries is not None else '':>4} "
            f"{(page.bytes or 0) / 1024:6.1f} {page.ratios.get('static', 0):8.3f} "
            f"{page.ratios.get('rows', 0):7.3f} {page.alone_p50_ms or 0:7.2f}  {page.note}"
        )
    if reply.get("load"):
        load = reply["load"]
        lines.append(
            f"{'post a reply (sequential)':34} {'':>8} {load.p50_ms:8.2f} {load.p99_ms:8.2f} "
            f"{reply.get('queries', ''):>4}"
            + (f"  {load.errors} not accepted (refused or limited)" if load.errors else "")
        )
    return "\n".join(lines)


def targets(
    results: list[PageResult], reply: dict, search_p50: float | None, digests: dict | None = None
) -> list[dict]:
    """The issue's targets, each with what this run measured and whether it holds."""
    by_name = {page.name: page for page in results}
    logged_in = by_name["article, 200 posts, logged in"]
    anonymous = by_name["article, 200 posts, anonymous"]
    checks = []
    if logged_in.load:
        checks.append(
            {
                "target": "article page logged in >= 0.5 x rows floor",
                "measured": logged_in.ratios.get("rows"),
                "met": (logged_in.ratios.get("rows") or 0) >= 0.5,
            }
        )
        checks.append(
            {
                "target": "article page logged in p99 < 60 ms",
                "measured": logged_in.load.p99_ms,
                "met": logged_in.load.p99_ms < 60,
            }
        )
    if anonymous.load:
        checks.append(
            {
                "target": "article page anonymous >= 0.5 x static floor",
                "measured": anonymous.ratios.get("static"),
                "met": (anonymous.ratios.get("static") or 0) >= 0.5,
            }
        )
    if reply.get("load"):
        checks.append(
            {
                "target": "posting a reply p50 < 10 ms",
                "measured": reply["load"].p50_ms,
                "met": reply["load"].p50_ms < 10,
            }
        )
    counted = [page.queries for page in results if page.queries is not None]
    if reply.get("queries") is not None:
        counted.append(reply["queries"])
    checks.append(
        {
            "target": "no page runs more than 12 SQL queries",
            "measured": max(counted),
            "met": max(counted) <= 12,
        }
    )
    if search_p50 is not None:
        checks.append(
            {
                "target": "search p50 < 50 ms (requested alone)",
                "measured": search_p50,
                "met": search_p50 < 50,
            }
        )
    if digests:
        checks.append(
            {
                "target": f"digests for {digests['data']['people']:,} people in < 60 s, < 300 MB",
                "measured": f"{digests['seconds']} s ({digests.get('cpu_seconds')} s of CPU), "
                f"{digests['peak_memory_mb']} MB",
                "met": digests["seconds"] < 60 and digests["peak_memory_mb"] < 300,
            }
        )
    return checks


def manifest_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data set size (1 = 300,000 posts)"
    )
    parser.add_argument("--database-url", default=os.environ.get("FORUM_DATABASE_URL"))
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "forum-bench")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of the last run at this scale"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per page")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replies", type=int, default=100, help="replies posted for their latency")
    parser.add_argument(
        "--output", type=Path, help="where the JSON goes (default bench/results/<date>.json)"
    )
    options = parser.parse_args(argv)

    options.workdir.mkdir(parents=True, exist_ok=True)
    url = options.database_url or f"sqlite:///{options.workdir / f'forum-{options.scale:g}.db'}"
    instance = Path(tempfile.mkdtemp(prefix="instance-", dir=options.workdir))
    os.environ["FORUM_INSTANCE_PATH"] = str(instance)
    # One reader posts 100 replies in a few seconds: the posting limits (10 a minute) would
    # refuse most, and a refusal is not what the latency is about. The limiter still runs.
    (instance / "forum.cfg").write_text(
        'RATELIMIT_POSTING = "100000 per minute"\nRATELIMIT_POSTING_ADDRESS = "100000 per minute"\n'
    )
    secret = "bench-secret-" + os.urandom(8).hex()
    env = {
        "FORUM_DATABASE_URL": url,
        "FORUM_INSTANCE_PATH": str(instance),
        "FORUM_SECRET_KEY": secret,
        "FORUM_MAIL_URL": f"file://{instance / 'mail'}",
    }
    options.load_tool = "wrk" if shutil.which("wrk") else "python"
    if options.load_tool == "python":
        say(
            "wrk is not installed, so a small Python load generator stands in (less precise);"
            " install wrk with: apt-get install -y wrk"
        )

    from bench.generate import Manifest, generate
    from forum import create_app

    # Counting renders pages: the anonymous page cache would answer with one query.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "PAGE_CACHE": False})
    manifest_path = (
        options.workdir / f"manifest-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"
    )
    manifest = None
    if options.reuse and manifest_path.exists():
        manifest = Manifest.load(manifest_path)
        if manifest.scale != options.scale:
            manifest = None
    if manifest is None:
        say(
            f"== Generating the data set at scale {options.scale:g} in "
            + manifest_url(app.config["SQLALCHEMY_DATABASE_URI"])
        )
        manifest = generate(app, options.scale, say=say)
        manifest.save(manifest_path)
    else:
        say(f"== Reusing the data set generated at scale {manifest.scale:g}")

    results = pages(manifest)
    say("== Counting SQL queries per page in-process")
    reply = count_queries(app, manifest, results)
    for page in results:
        if page.status != 200:
            page.note = f"answers {page.status}; not measured"
        say(f"  {page.name}: {page.queries} queries, {page.bytes:,} bytes, status {page.status}")
    say(f"  post a reply: {reply['queries']} queries, status {reply['status']}")
    rows = floor_rows(app, manifest)

    logs = options.workdir / "gunicorn.log"
    article = next(page for page in results if page.name == "article, 200 posts, anonymous")
    rows_db = options.workdir / "floor-rows.db"
    write_rows_database(rows_db, rows)
    floor_specs = (
        ("static", "bench.floors:static_app()", {"BENCH_STATIC_BYTES": str(article.bytes)}),
        ("rows", "bench.floors:rows_app()", {"BENCH_ROWS_DB": str(rows_db)}),
    )
    say(f"== Floors: a static page of {article.bytes:,} bytes, and the 200 posts from SQLite")
    before = measure_floors(floor_specs, options, logs)
    memory = None
    search_p50 = None
    say(
        f"== Serving the forum with gunicorn ({options.workers} sync workers); gunicorn log: {logs}"
    )
    server = Server("forum:create_app()", env, options.workers, logs)
    try:
        server.wait("/healthz")
        browsers = {}
        for persona, email in (
            ("reader", manifest.reader_email),
            ("moderator", manifest.moderator_email),
        ):
            browsers[persona] = Browser(server.url)
            browsers[persona].login(email, manifest.password)
        cookies = {persona: browser.cookie_header for persona, browser in browsers.items()}
        anonymous = Browser(server.url)
        for page in results:
            if page.status != 200:
                continue
            say(f"  {page.name}: {options.duration} s of load at {options.connections} connections")
            try:
                page.load = measure(server.url, page.path, cookies.get(page.signed_in), options)
                # Alone: after the requests wrk left queued have been answered.
                page.alone_p50_ms = alone_latency(
                    browsers.get(page.signed_in, anonymous), page.path
                )
            except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
                page.note = f"failed: {error}"[:200]
                say(f"    {page.note}")
                continue
            if page.load.errors:
                page.note = f"{page.load.errors} errors"
            if page.name == "search":
                search_p50 = page.alone_p50_ms
        say(f"  posting {options.replies} replies one after another")
        reply_to = reply_target(app, manifest)
        reply["load"] = post_replies(browsers["reader"], manifest, reply_to, options.replies)
        memory = server.peak_memory_mb()
    finally:
        server.stop()

    say("== Floors again, after the pages (the ratios use the mean of both runs)")
    after = measure_floors(floor_specs, options, logs)
    floors = {name: mean_load(before[name], after[name]) for name in before}

    for page in results:
        if page.load:
            page.ratios = {
                name: round(page.load.requests_per_second / load.requests_per_second, 3)
                for name, load in floors.items()
            }
    from bench import digests

    digest_report = digests.run(options.workdir, options.scale, say=say)
    checks = targets(results, reply, search_p50, digest_report)
    say("")
    say(table(results, floors, reply))
    say(digests.row(digest_report))
    say(f"\nPeak resident memory of a worker: {memory} MB")
    say("\nTargets:")
    for check in checks:
        say(f"  [{'met' if check['met'] else 'NOT met'}] {check['target']}: {check['measured']}")

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {
            "scale": manifest.scale,
            "database": manifest.database_url.split("://")[0],
            "workers": options.workers,
            "connections": options.connections,
            "threads": options.threads,
            "duration_s": options.duration,
            "load_tool": options.load_tool,
        },
        "data": manifest.counts,
        "generated_in_s": manifest.seconds,
        "floors": {name: asdict(load) for name, load in floors.items()},
        "floors_before": {name: asdict(load) for name, load in before.items()},
        "floors_after": {name: asdict(load) for name, load in after.items()},
        "pages": [asdict(page) for page in results],
        "reply": {**reply, "load": asdict(reply["load"]) if reply.get("load") else None},
        "worker_peak_memory_mb": memory,
        "digests": digest_report,
        "targets": checks,
        "median_ratio_to_rows": statistics.median(
            [page.ratios["rows"] for page in results if page.ratios] or [0]
        ),
    }
    output = (
        options.output
        or RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{report['settings']['database']}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    say(f"\nWrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
