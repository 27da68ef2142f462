"""wapiti, a black-box scanner, against the demo served over HTTPS: cross-site scripting, SQL
injection, CSRF, open redirects, and the header and cookie checks, once as a visitor and once
as a logged-in reader (both at the same time). The gate reads wapiti's JSON report, not its
exit code: any finding, or any page an attack broke (a 500), fails it with the module, the
URL and the parameter.

The scan is bounded: a crawl of a few levels and a limited time per module, so both scans end
in about two minutes. The visitor's scan attacks every page and form it found in that time; the
reader's, with far more forms, runs out of time in xss and sql, after the pages' parameters and
the first forms. wapiti3 lives in a virtualenv of its own (its pinned dependencies clash
with the app's): `.ci/run` and `make check` install it into .venv-wapiti.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, request, url_for
from sqlalchemy import func, or_, select

from forum.accounts.queries import find_user_by_email
from forum.discussions.models import Post
from forum.extensions import db
from tests.conftest import require_service
from tests.gates.conftest import DEMO_PASSWORDS, ROOT, demo_server, tls_certificate

WAPITI_VENV = ROOT / ".venv-wapiti"
INSTALL_HINT = (
    "wapiti is not installed: `python3 -m venv .venv-wapiti && "
    ".venv-wapiti/bin/pip install wapiti3==3.2.3` (`make check` does it), or set FORUM_WAPITI "
    "to its executable"
)
MODULES = ("xss", "sql", "csrf", "redirect", "http_headers", "cookieflags")
DEPTH = 3
CRAWL_SECONDS = 40
ATTACK_SECONDS = 30  # for each module (only xss and sql take that long)
REQUEST_TIMEOUT = 20
# Never followed: logging out would end the reader's scan, and leaving the group would shut
# it out of the group's pages half-way.
EXCLUDED = ("/auth/logout", "/groups/*/leave")
READER = DEMO_PASSWORDS["reader"]
PLANTED_XSS = "/_gates/echo"
PLANTED_PARAMETER = "words"
# What a scan must have crawled at least, so a scan that saw nothing cannot pass.
MIN_PAGES = 20


def wapiti_executable() -> Path | None:
    configured = os.environ.get("FORUM_WAPITI")
    if configured:
        return Path(configured)
    found = WAPITI_VENV / "bin" / "wapiti"
    if found.exists():
        return found
    on_path = shutil.which("wapiti")
    return Path(on_path) if on_path else None


@dataclass
class WapitiSite:
    url: str
    app: Flask
    certificate: Path


@dataclass
class Scan:
    name: str
    report: dict
    log: str
    posts_changed: int = 0  # posts the scanning person wrote, edited or deleted while it ran

    def findings(self) -> list[str]:
        """Every vulnerability, and every anomaly (a page an attack made fail), by module, URL
        and parameter."""
        found = []
        for kind in ("vulnerabilities", "anomalies"):
            for category, items in self.report.get(kind, {}).items():
                for item in items:
                    found.append(
                        f"{self.name}: {category} ({item['module']}) on {item['method']} "
                        f"{item['path']}, parameter {item['parameter'] or '(none)'}: "
                        f"{item['info']}\n    {item.get('curl_command', '')}"
                    )
        return found


@pytest.fixture(scope="session")
def wapiti() -> Path:
    executable = wapiti_executable()
    require_service(executable is not None and executable.exists(), INSTALL_HINT)
    return executable


UNLIMITED = (
    "RATELIMIT_AUTH",
    "RATELIMIT_POSTING",
    "RATELIMIT_POSTING_ADDRESS",
    "RATELIMIT_FLAGGING",
    "RATELIMIT_API",
)


@pytest.fixture(scope="session")
def wapiti_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wapiti-site")
    # The scanner sends thousands of requests from one address: the rate limits would answer
    # most of them with 429, and the attacks would never reach the code they test. Raised for
    # this app only: RATELIMIT_ENABLED would switch off the one limiter every app shares.
    config = {name: "100000 per minute" for name in UNLIMITED}
    tls = tls_certificate(folder)
    with demo_server(folder / "site.db", lambda: None, config, tls) as site:
        # A page that shows its query unescaped, on purpose: the anonymous scan must report
        # it, or the scanner is not finding what it is there to find.
        site.app.add_url_rule(PLANTED_XSS, "gates_planted_xss", _planted_xss)
        yield WapitiSite(site.url, site.app, tls[0])


def _planted_xss():
    return f"<!doctype html><title>Echo</title><p>{request.args.get(PLANTED_PARAMETER, '')}</p>"


def log_in(url: str, certificate: Path, email: str, password: str) -> http.cookiejar.CookieJar:
    """The cookies a browser holds after logging in through the login form."""
    cookies = http.cookiejar.CookieJar()
    context = ssl.create_default_context(cafile=str(certificate))
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(cookies)
    )
    with opener.open(f"{url}/auth/login", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
    # Over HTTPS the CSRF check also wants the form to say it came from this site.
    request = urllib.request.Request(
        f"{url}/auth/login", form.encode(), {"Referer": f"{url}/auth/login"}
    )
    with opener.open(request, timeout=30) as response:
        assert "Log out" in response.read().decode(), f"{email} could not log in"
    return cookies


def cookie_file(cookies: http.cookiejar.CookieJar, path: Path) -> Path:
    """The cookies in wapiti's JSON cookie file format, with the flags the server set."""
    found: dict = {}
    for cookie in cookies:
        found.setdefault(cookie.domain, {}).setdefault(cookie.path, {})[cookie.name] = {
            "value": cookie.value,
            "expires": cookie.expires,
            "secure": cookie.secure,
            "port": None,
            "version": 0,
        }
    path.write_text(json.dumps(found))
    return path


def start_scan(
    wapiti: Path, url: str, folder: Path, cookies: Path | None, starts: list[str]
) -> subprocess.Popen:
    """wapiti on the site from its home page and the paths in ``starts``."""
    folder.mkdir()
    command = [
        str(wapiti),
        f"--url={url}/",
        f"--module={','.join(MODULES)}",
        "--scope=folder",
        f"--depth={DEPTH}",
        # Few pages of one kind (the same page with another ?next=, the eighth post), so the
        # time each module has goes to different forms and parameters.
        "--max-links-per-page=20",
        "--max-files-per-dir=8",
        f"--max-scan-time={CRAWL_SECONDS}",
        f"--max-attack-time={ATTACK_SECONDS}",
        f"--timeout={REQUEST_TIMEOUT}",
        "--flush-session",
        f"--store-session={folder / 'session'}",
        f"--store-config={folder / 'config'}",
        "--format=json",
        f"--output={folder / 'report.json'}",
        "--verbose=1",
        "--no-bugreport",
    ]
    command.extend(f"--start={url}{path}" for path in starts)
    for path in EXCLUDED:
        command.append(f"--exclude={url}{path}")
    if cookies is None:
        # One request at a time while crawling: pages fetched together before the first
        # cookie came back would each start a session of their own, and their forms' CSRF
        # tokens would not match the session the attacks then send (wapiti would call that
        # "CSRF not checked").
        command.append("--tasks=1")
    else:
        command.append(f"--cookie={cookies}")
    with (folder / "wapiti.log").open("w") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)


def finish_scan(name: str, process: subprocess.Popen, folder: Path) -> Scan:
    limit = CRAWL_SECONDS + ATTACK_SECONDS * len(MODULES) + 90
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"wapiti ({name}) ran past {limit} s", pytrace=False)
    log = (folder / "wapiti.log").read_text(errors="replace")
    report = folder / "report.json"
    if not report.exists():
        pytest.fail(
            f"wapiti ({name}) wrote no report (exit {process.returncode}):\n{log[-3000:]}",
            pytrace=False,
        )
    return Scan(name, json.loads(report.read_text()), log)


@pytest.fixture(scope="session")
def scans(wapiti, wapiti_site, tmp_path_factory) -> dict[str, Scan]:
    folder = tmp_path_factory.mktemp("wapiti")
    url = wapiti_site.url
    # The visitor's scan also starts at the planted page (see ``wapiti_site``) and at the
    # account forms, which the many "log in to reply" links would otherwise crowd out of the
    # pages it keeps for /auth/ (--max-files-per-dir).
    with wapiti_site.app.test_request_context():
        visitor_starts = [
            f"{PLANTED_XSS}?{PLANTED_PARAMETER}=hello",
            url_for("accounts.login"),
            url_for("accounts.register"),
            url_for("accounts.request_password_reset"),
        ]
    reader_cookies = cookie_file(
        log_in(url, wapiti_site.certificate, *READER), folder / "reader-cookies.json"
    )
    started = datetime.now(UTC)
    began = time.monotonic()
    running = {
        "anonymous": start_scan(wapiti, url, folder / "anonymous", None, visitor_starts),
        "reader": start_scan(wapiti, url, folder / "reader", reader_cookies, []),
    }
    found = {name: finish_scan(name, process, folder / name) for name, process in running.items()}
    print(f"wapiti: both scans took {time.monotonic() - began:.0f} s")
    with wapiti_site.app.app_context():
        reader = find_user_by_email(READER[0])
        changed = select(func.count(Post.id)).where(
            Post.author_id == reader.id,
            or_(Post.created_at >= started, Post.edited_at >= started, Post.deleted_at >= started),
        )
        found["reader"].posts_changed = db.session.scalar(changed)
        db.session.remove()
    return found


@pytest.mark.parametrize("name", ["anonymous", "reader"])
def test_wapiti_finds_nothing(scans, name):
    scan = scans[name]
    crawled = scan.report["infos"]["crawled_pages_nbr"]
    assert crawled >= MIN_PAGES, (
        f"wapiti ({name}) crawled only {crawled} pages:\n{scan.log[-2000:]}"
    )
    findings = [found for found in scan.findings() if PLANTED_XSS not in found]
    assert not findings, f"wapiti found {len(findings)} problems:\n" + "\n".join(findings)


def test_the_scan_finds_the_planted_cross_site_scripting(scans):
    found = [finding for finding in scans["anonymous"].findings() if PLANTED_XSS in finding]
    assert any(
        "(xss)" in finding and f"parameter {PLANTED_PARAMETER}" in finding for finding in found
    ), f"wapiti missed the page that echoes its query unescaped:\n{scans['anonymous'].log[-2000:]}"


def test_the_reader_scan_attacked_as_the_reader(scans):
    """Its attacks reached the forms only a logged-in reader has: posts were written, edited
    or deleted in the reader's name (so the scan stayed logged in and its forms' CSRF tokens
    were accepted)."""
    assert scans["reader"].posts_changed > 0, (
        f"the reader's scan changed no post of the reader's:\n{scans['reader'].log[-2000:]}"
    )
