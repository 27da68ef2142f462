"""The dashboard: what needs attention, and a chart drawn on the server."""

from __future__ import annotations

from datetime import timedelta

from forum.core.db import utc_now
from forum.core.mail import OutboxMessage, OutboxState
from forum.discussions.models import PostState
from forum.extensions import db
from forum.ops.status import record_heartbeat
from tests import factories
from tests.conftest import login
from tests.html import elements


def test_the_dashboard_shows_the_queue_failed_mail_and_activity(
    app, client, admin, reader, discussion
):
    yesterday = utc_now() - timedelta(days=1)
    factories.make_post(discussion, reader, "Today.")
    factories.make_post(discussion, reader, "Also today.")
    factories.make_post(discussion, reader, "Yesterday.", created_at=yesterday)
    factories.make_post(discussion, reader, "Held.", state=PostState.PENDING)
    for number in range(2):
        db.session.add(
            OutboxMessage(
                to_address=f"x{number}@example.org", template="t", subject="s", text_body="",
                html_body="", message_id=f"<{number}@forum.test>", state=OutboxState.FAILED,
            )
        )  # fmt: skip
    db.session.commit()
    login(client, admin)
    html = client.get("/admin/").get_data(as_text=True)
    assert "1 held, 0 flagged" in html
    assert "Failed emails</a>: 2" in html
    assert "never — start <code>forum worker</code>" in html
    today = utc_now().strftime("%a %-d %b")
    # Today: 3 posts (the held one too), and the two members who joined.
    assert f'<th scope="row">{today}</th><td>3</td><td>2</td>' in html
    assert f'<th scope="row">{yesterday.strftime("%a %-d %b")}</th><td>1</td><td>0</td>' in html
    bars = [attrs for tag, attrs in elements(html) if tag == "rect"]
    assert len(bars) == 28  # two bars for each of 14 days
    assert max(float(bar["height"]) for bar in bars) == 100.0  # the busiest day fills it
    assert not [
        tag
        for tag, attrs in elements(html)
        if "style" in attrs or tag == "script" and "src" not in attrs
    ]


def test_the_worker_heartbeat_is_shown(app, client, admin):
    record_heartbeat(app, utc_now() - timedelta(minutes=20))
    login(client, admin)
    html = client.get("/admin/").get_data(as_text=True)
    assert "more than five minutes ago: is <code>forum worker</code> running?" in html
