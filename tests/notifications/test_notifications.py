"""Notifications on the site and by email, preferences, and unsubscribing."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum.accounts.models import DigestFrequency
from forum.discussions.services import post_reply, set_following
from forum.extensions import db
from forum.notifications import services
from forum.notifications.models import Kind, Notification
from tests import factories
from tests.conftest import login, post_form
from tests.notifications.conftest import trust

BASE_URL = "http://forum.test"


def notes_for(user) -> list[tuple[str, int | None]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    return [(row.kind, row.post_id) for row in rows]


def test_reply_mention_and_follow_each_notify_once(reader, other_reader, outbox):
    third = factories.make_user("third@example.org", "Tess Third")
    follower = factories.make_user("follower@example.org", "Fay Follower")
    trust(reader, other_reader)
    article = factories.make_article()
    discussion = factories.public_discussion(article)
    set_following(follower, discussion, True)
    root = post_reply(reader, discussion, None, "The opening post.")
    db.session.commit()
    assert notes_for(follower) == [(Kind.FOLLOWED_POST, root.id)]
    assert notes_for(reader) == [], "nobody hears of their own post"

    reply = post_reply(other_reader, discussion, root, "A reply for @rita-reader and @tess-third.")
    db.session.commit()
    # Rita is replied to (and mentioned: the reply wins); Tess is mentioned; Fay follows.
    assert notes_for(reader) == [(Kind.REPLY, reply.id)]
    assert notes_for(third) == [(Kind.MENTION, reply.id)]
    assert notes_for(follower)[-1] == (Kind.FOLLOWED_POST, reply.id)
    assert notes_for(other_reader) == []

    sent = {(m.to[0], m.subject) for m in outbox}
    assert ("reader@example.org", "Otto Other replied to your post") in sent
    assert ("third@example.org", "Otto Other mentioned you") in sent
    # New posts in followed discussions come by email only when asked for.
    assert not any(m.to[0] == "follower@example.org" for m in outbox)


def test_the_email_links_to_the_post_and_unsubscribes_in_one_click(
    client, reader, other_reader, outbox
):
    trust(other_reader)
    article = factories.make_article()
    discussion = factories.public_discussion(article)
    root = factories.make_post(discussion, reader, "Mine.")
    reply = post_reply(other_reader, discussion, root, "Yours, **truly**.")
    db.session.commit()
    [message] = outbox
    text = message.body
    html = message.alternatives[0][0]
    assert f"{BASE_URL}/posts/{reply.id}" in text
    assert f'href="{BASE_URL}/posts/{reply.id}"' in html
    assert "<strong>truly</strong>" in html
    headers = message.extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(.+)>", headers["List-Unsubscribe"]).group(1)
    assert unsubscribe in text
    assert client.get(f"/posts/{reply.id}").status_code in (200, 302)

    # A mail client's one-click POST: no login, no CSRF token, just the signed link.
    path = unsubscribe.removeprefix(BASE_URL)
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not services.wants_email(db.session.get(type(reader), reader.id), Kind.REPLY)
    factories.make_post(discussion, other_reader, "unrelated")
    post_reply(other_reader, discussion, root, "Another reply.")
    db.session.commit()
    assert len(outbox) == 1, "no more reply emails"
    assert notes_for(reader)[-1][0] == Kind.REPLY, "still told on the site"


def test_unsubscribing_from_the_digest_by_the_page(client, reader):
    reader.digest_frequency = DigestFrequency.DAILY
    db.session.commit()
    token = services.unsubscribe_token(reader, services.DIGEST)
    page = client.get(f"/digests/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Stop the email digest to reader@example.org?" in page.get_data(as_text=True)
    db.session.expire_all()
    assert reader.digest_frequency is DigestFrequency.DAILY, "looking is not unsubscribing"
    response = post_form(
        client, f"/digests/unsubscribe/{token}", {}, page=f"/digests/unsubscribe/{token}"
    )
    assert response.status_code == 200
    assert "gets no more the email digest" in response.get_data(as_text=True)
    db.session.expire_all()
    assert reader.digest_frequency is DigestFrequency.OFF


def test_a_tampered_unsubscribe_link_is_refused_without_changes(client, reader):
    token = services.unsubscribe_token(reader, Kind.REPLY)
    bad = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.get(f"/digests/unsubscribe/{bad}").status_code == 404
    assert client.post(f"/digests/unsubscribe/{bad}").status_code == 404
    assert services.wants_email(reader, Kind.REPLY)


def test_the_list_the_unread_count_and_marking_read(client, reader, other_reader):
    trust(other_reader)
    article = factories.make_article()
    discussion = factories.public_discussion(article)
    root = factories.make_post(discussion, reader, "Mine.")
    post_reply(other_reader, discussion, root, "First reply.")
    post_reply(other_reader, discussion, root, "Second reply.")
    db.session.commit()
    login(client, reader)
    home = client.get("/").get_data(as_text=True)
    assert re.search(
        r"Notifications <span class=\"badge\">2<span class=\"visually-hidden\"> unread", home
    )
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count("Otto Other replied to your post") == 2
    assert "on “Beijing Signals”" in page
    post_form(client, "/notifications/read", {}, page="/notifications/")
    home = client.get("/").get_data(as_text=True)
    assert "unread" not in home


def test_opening_one_notification_marks_it_read_and_goes_to_the_post(client, reader, other_reader):
    trust(other_reader)
    discussion = factories.public_discussion(factories.make_article())
    root = factories.make_post(discussion, reader, "Mine.")
    reply = post_reply(other_reader, discussion, root, "A reply.")
    db.session.commit()
    [note_id] = db.session.scalars(select(Notification.id)).all()
    login(client, reader)
    response = post_form(
        client,
        "/notifications/read",
        {"notification_id": note_id, "go": f"/posts/{reply.id}"},
        page="/notifications/",
    )
    assert response.headers["Location"] == f"/posts/{reply.id}"
    assert db.session.get(Notification, note_id, populate_existing=True).read_at is not None


def test_preferences_are_saved_and_kept(client, reader):
    login(client, reader)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "Email preferences" in page
    assert '<label for="email_reply">A reply to one of my posts</label>' in page
    response = post_form(
        client,
        "/settings/notifications",
        {"email_mention": "y", "email_followed_post": "y", "digest_weekday": "4"},
        page="/settings/notifications",
    )
    assert response.status_code == 302
    db.session.expire_all()
    choices = services.email_choices(reader)
    assert choices[Kind.REPLY] is False
    assert choices[Kind.MENTION] is True and choices[Kind.FOLLOWED_POST] is True
    assert services.digest_weekday(reader) == 4
    again = client.get("/settings/notifications").get_data(as_text=True)
    assert '<option selected value="4">Friday</option>' in again


def test_pages_need_the_right_person(client, reader):
    assert client.get("/notifications/").status_code == 302
    assert client.get("/settings/notifications").status_code == 302
    login(client, reader)
    assert client.get("/admin/mail").status_code == 403


def test_the_reads_of_a_new_post_do_not_grow_with_its_followers(reader, other_reader):
    from tests.conftest import count_queries

    trust(other_reader)

    def selects_for(followers: int, title: str) -> int:
        discussion = factories.public_discussion(factories.make_article(title))
        for n in range(followers):
            person = factories.make_user(f"f{title[:3]}{n}@example.org", f"Fan {title} {n}")
            set_following(person, discussion, True)
        db.session.commit()
        with count_queries() as statements:
            post_reply(other_reader, discussion, None, f"News on {title}.")
            db.session.commit()
        assert len(notes_for(other_reader)) == 0
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    assert selects_for(3, "Few Fans") == selects_for(15, "Many Fans")


def test_a_group_sessions_discussion_is_named_by_the_session(reader, other_reader, outbox):
    from forum.groups.queries import session_discussion
    from forum.groups.services import ensure_group
    from tests.groups.conftest import make_membership, make_session

    group = ensure_group("Great Decisions Discussion group")
    for person in (reader, other_reader):
        make_membership(group, person)
    trust(reader, other_reader)
    session = make_session(group, title="Climate migration")
    discussion = session_discussion(session)
    root = post_reply(reader, discussion, None, "Before we meet.")
    reply = post_reply(other_reader, discussion, root, "Agreed.")
    db.session.commit()
    [message] = [m for m in outbox if m.to == ["reader@example.org"]]
    assert "“Climate migration”" in message.body
    assert f"{BASE_URL}/posts/{reply.id}" in message.body
