"""Security headers on every crawled response, cookie flags, and bandit on the code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from forum import create_app
from tests.conftest import require_service
from tests.gates.conftest import ROOT

REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
UNSAFE_SCRIPT_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}
SESSION_COOKIES = ("session", "remember_token")


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: sources}."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(visit) -> list[str]:
    problems = []
    if visit.header("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {visit.header('X-Content-Type-Options')!r}")
    if visit.header("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy is {visit.header('Referrer-Policy')!r}")
    csp = visit.header("Content-Security-Policy")
    if csp is None:
        return [*problems, "no Content-Security-Policy"]
    directives = policy(csp)
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        problems.append("the CSP does not restrict scripts (no script-src or default-src)")
    elif unsafe := UNSAFE_SCRIPT_SOURCES.intersection(scripts):
        problems.append(f"the CSP allows scripts from {sorted(unsafe)}")
    if "frame-ancestors" not in directives:
        problems.append("the CSP has no frame-ancestors (the page can be framed)")
    if directives.get("object-src") != ["'none'"] and "object-src" in directives:
        problems.append(f"the CSP allows plugins: object-src {directives['object-src']}")
    return problems


def test_every_response_sends_the_security_headers(crawl):
    failures = {visit.label: found for visit in crawl.visits if (found := header_problems(visit))}
    assert failures == {}, "\n".join(f"{label}: {'; '.join(p)}" for label, p in failures.items())


def test_the_header_check_notices_a_weak_policy(crawl):
    visit = next(v for v in crawl.visits if v.is_html)
    weak = type(visit)(
        **{
            **vars(visit),
            "headers": [
                (
                    "Content-Security-Policy",
                    "default-src 'self'; script-src 'self' 'unsafe-inline'",
                ),
            ],
        }
    )
    problems = header_problems(weak)
    assert any("unsafe-inline" in problem for problem in problems)
    assert any("frame-ancestors" in problem for problem in problems)
    assert any("X-Content-Type-Options" in problem for problem in problems)


def cookie_attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    name_value, *attributes = (part.strip() for part in set_cookie.split(";"))
    found = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        found[key.lower()] = value.lower()
    return name_value.partition("=")[0], found


def test_session_and_remember_cookies_are_http_only_and_same_site(crawl):
    seen = {}
    for visit in crawl.visits:
        for header in visit.headers_named("Set-Cookie"):
            name, attributes = cookie_attributes(header)
            if name in SESSION_COOKIES:
                seen.setdefault(name, []).append((visit.label, attributes))
    assert set(seen) == set(SESSION_COOKIES), f"the crawl saw only {sorted(seen)}"
    for name, cookies in seen.items():
        for label, attributes in cookies:
            assert "httponly" in attributes, f"{name} cookie without HttpOnly on {label}"
            assert attributes.get("samesite") in ("lax", "strict"), (
                f"{name} cookie with SameSite={attributes.get('samesite')!r} on {label}"
            )


def test_cookies_are_secure_behind_https(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "gates-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'https.db'}",
            "MAIL_URL": "locmem://",
            "BASE_URL": "https://forum.example.org",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    # The login page starts a session (for its CSRF token): its cookie must say Secure.
    with app.app_context():
        from forum.extensions import db

        db.create_all()
        response = app.test_client().get("/auth/login", base_url="https://forum.example.org")
        db.engine.dispose()
    cookies = [cookie_attributes(h) for h in response.headers.getlist("Set-Cookie")]
    assert cookies, "the login page set no cookie"
    for name, attributes in cookies:
        assert "secure" in attributes, f"{name} cookie without Secure behind HTTPS"


def bandit() -> Path | None:
    found = shutil.which("bandit", path=str(Path(sys.executable).parent))
    return Path(found) if found else None


def test_bandit_finds_nothing_of_medium_or_high_severity():
    """Findings need a fix, or a ``# nosec <test id>`` with the reason it is safe."""
    executable = bandit()
    require_service(executable is not None, "bandit is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [str(executable), "-r", "forum", "--severity-level", "medium", "-f", "json", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} ({r['issue_severity']}): "
        f"{r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == [], "\n".join(findings)
    assert report["metrics"]["_totals"]["loc"] > 1000, "bandit read almost no code"
