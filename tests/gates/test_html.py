"""The Nu HTML Checker on every crawled page and on every email's HTML: zero errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.gates.report import report


def validate(
    vnu_jar: Path, folder: Path, documents: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """Check all documents in one run of the checker (one JVM start); errors by name."""
    files = {}
    for number, (name, html) in enumerate(documents.items()):
        path = folder / f"{number:04d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.resolve().as_uri().replace("file:///", "file:/")] = name
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(vnu_jar),
            "--errors-only",
            "--format",
            "json",
            *map(str, sorted(folder.glob("*.html"))),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stderr or result.stdout)
    errors: dict[str, list[tuple[str, str]]] = {}
    for message in report["messages"]:
        name = files.get(message.get("url"), message.get("url", "?"))
        where = f"line {message.get('lastLine', '?')}"
        extract = " ".join(message.get("extract", "").split())
        errors.setdefault(name, []).append((message["message"], f"{where} [{extract[:120]}]"))
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return errors


def test_every_page_is_valid_html(vnu_jar, html_pages, tmp_path):
    errors = validate(vnu_jar, tmp_path, {page.label: page.text for page in html_pages})
    if errors:
        pytest.fail(f"The Nu HTML Checker: {report(errors)}", pytrace=False)


def as_document(html: str) -> str:
    """Emails are sent as the body's markup; the checker reads whole documents."""
    if "<html" in html.lower():
        return html
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Email</title>'
        f"</head><body>{html}</body></html>"
    )


def test_every_email_is_valid_html(vnu_jar, emails, tmp_path):
    sent = [email for email in emails if not email.name.startswith("template ")]
    assert sent, "the crawl sent no email, so no real email was checked"
    unchecked = [email.name for email in emails if email.html is None]
    assert unchecked == [], (
        "these email templates cannot be rendered without their context and no step of the "
        "crawl sends them; have the demo or the crawl send one"
    )
    errors = validate(vnu_jar, tmp_path, {email.name: as_document(email.html) for email in emails})
    if errors:
        pytest.fail(f"The Nu HTML Checker on emails: {report(errors)}", pytrace=False)


def test_the_checker_reports_errors(vnu_jar, tmp_path):
    """The gate is only as good as its checker: a broken page must be reported."""
    errors = validate(
        vnu_jar, tmp_path, {"broken": as_document("<p><div>block in a paragraph</div></p>")}
    )
    assert list(errors) == ["broken"]
