"""The crawl reaches every page, and no page breaks."""

from __future__ import annotations

import pytest

from tests.gates.conftest import BOOM, PERSONAS


def test_every_get_route_is_reached(crawl):
    """A page no link leads to and no known value fills is a page the gates cannot check:
    link to it, or teach the crawl a value for its variables (conftest's tokens)."""
    unreached = {
        route: tries for route, tries in crawl.unreached_routes().items() if BOOM not in route
    }
    if unreached:
        pytest.fail(
            "Routes the crawl could not reach:\n"
            + "\n".join(
                f"{route}, tried:\n  " + "\n  ".join(tries) for route, tries in unreached.items()
            ),
            pytrace=False,
        )


def test_every_persona_saw_pages(crawl):
    for persona in PERSONAS:
        pages = [v for v in crawl.visits if v.persona == persona and v.status == 200]
        assert len(pages) > 5, f"{persona} saw only {[v.url for v in pages]}"


def test_no_page_breaks(crawl):
    broken = [v.label for v in crawl.visits if v.status >= 500 and v.url != BOOM]
    assert broken == []


def test_forms_were_seen_in_their_error_state(crawl):
    shown = [v for v in crawl.visits if v.how == "form error" and v.status == 422]
    assert len({v.endpoint for v in shown}) >= 5, [v.label for v in shown]
