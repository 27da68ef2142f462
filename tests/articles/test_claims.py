"""Blog commenters' unclaimed accounts, taken over by whoever verifies the same address."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.articles.importing import import_sources
from forum.articles.models import UnclaimedAccount
from forum.discussions.models import Post
from forum.extensions import db
from forum.moderation.models import Penalty, PenaltyKind
from tests import factories
from tests.accounts.conftest import link_in
from tests.conftest import PASSWORD, post_form

WXR = str(Path(__file__).parent / "fixtures" / "wordpress.xml")
ALICE_SAYS = {"Who insures the ships that go anyway?", "Thank you, that explains the prices."}


def imported() -> None:
    import_sources([WXR])
    db.session.commit()


def said_by(user: User) -> set[str]:
    return set(db.session.scalars(select(Post.body_md).where(Post.author_id == user.id)))


def unclaimed_count() -> int:
    return db.session.scalar(select(func.count()).select_from(UnclaimedAccount))


def test_registering_and_verifying_the_address_takes_the_comments_over(client, outbox):
    imported()
    placeholder = db.session.scalar(select(User.id).where(User.display_name == "Alice Archer"))

    # The address is free to register with: the unclaimed account does not hold it.
    response = post_form(
        client,
        "/auth/register",
        {"email": "alice@EXAMPLE.org", "display_name": "Alice A.", "password": PASSWORD},
    )
    assert response.status_code == 302
    alice = db.session.scalar(select(User).where(User.display_name == "Alice A."))
    # Registering proves nothing yet: the comments wait for the address to be verified.
    assert said_by(alice) == set()

    client.get(link_in(outbox[-1]))

    db.session.expire_all()
    assert said_by(alice) == ALICE_SAYS
    assert db.session.get(User, placeholder) is None
    assert unclaimed_count() == 2
    # The replies to her comments still hang under them.
    thanks = db.session.scalar(select(Post).where(Post.body_md.like("Thank you%")))
    assert db.session.get(Post, thanks.parent_id).author_id != alice.id and thanks.depth == 2
    page = client.get("/users/alice-a").get_data(as_text=True)
    assert "Who insures the ships that go anyway?" in page


def test_moving_an_account_to_the_address_claims_too(reader):
    imported()

    token = accounts.request_email_change(reader, reader, "alice@example.org", PASSWORD)
    accounts.confirm_email_change(token)
    db.session.commit()

    assert said_by(reader) == ALICE_SAYS


def test_an_address_nobody_verified_claims_nothing():
    imported()
    nobody = factories.make_user("alice@example.org", "Not Yet", verified=False)
    db.session.commit()

    assert said_by(nobody) == set()
    assert unclaimed_count() == 3


def test_a_penalty_on_the_commenter_follows_the_comments(reader):
    imported()
    commenter = db.session.scalar(select(User.id).where(User.display_name == "Alice Archer"))
    db.session.add(Penalty(user_id=commenter, kind=PenaltyKind.BAN, reason="Spam links"))
    db.session.commit()

    token = accounts.request_email_change(reader, reader, "alice@example.org", PASSWORD)
    accounts.confirm_email_change(token)
    db.session.commit()

    assert db.session.scalar(select(Penalty.user_id)) == reader.id
