"""The README's screenshot: a demo article and its nested discussion, as a reader sees it.

Run by hand when the pages change, then commit the PNG:

    FORUM_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshot.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum import create_app
from forum.demo.services import ACCOUNTS
from forum.discussions.models import Discussion
from forum.extensions import db
from tests.browser.conftest import serve

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "article.png"

pytestmark = pytest.mark.skipif(
    os.environ.get("FORUM_SCREENSHOTS") != "1",
    reason="screenshots are taken by hand: FORUM_SCREENSHOTS=1",
)


def test_article_page_screenshot(browser, tmp_path):
    # The demo exactly as `forum demo` leaves it, in an instance folder of its own.
    env = {**os.environ, "FORUM_INSTANCE_PATH": str(tmp_path)}
    env.pop("FORUM_DATABASE_URL", None)
    forum = Path(sys.executable).with_name("forum")
    subprocess.run([str(forum), "demo"], env=env, check=True, capture_output=True, timeout=120)
    database = f"sqlite:///{tmp_path / 'forum.db'}"

    def make_app(url: str):
        return create_app(
            {
                "SECRET_KEY": "screenshot-secret",
                "SQLALCHEMY_DATABASE_URI": database,
                "MAIL_URL": "locmem://",
                "BASE_URL": url,
            }
        )

    reader = next(account for account in ACCOUNTS if account.key == "reader")
    with serve(make_app) as server:
        with server.app.app_context():
            busiest = db.session.scalars(
                select(Discussion)
                .where(Discussion.group_id.is_(None))
                .order_by(Discussion.post_count.desc())
            ).first()
            slug = busiest.article.slug

        context = browser.new_context(
            base_url=server.url,
            viewport={"width": 1280, "height": 900},
            timezone_id="UTC",
            locale="en-GB",
        )
        page = context.new_page()
        page.goto("/auth/login")
        page.get_by_label("Email").fill(reader.email)
        page.get_by_label("Password", exact=True).fill(reader.password)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/articles/{slug}")
        expect(page.locator("ol.replies ol.replies").first).to_be_visible()

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        context.close()
