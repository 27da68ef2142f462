"""The OpenAPI document against the API itself: schemathesis generates requests for every
operation from the document and checks each response (no 500s; status, headers and body as
documented), in-process against the WSGI app, signed in with a write token."""

from __future__ import annotations

import contextvars
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from forum.groups.models import MemberRole
from tests import factories
from tests.api.conftest import bearer, make_token
from tests.groups.conftest import make_membership, make_session

# Bounded: about twenty operations with this many examples each, well under a minute.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
# Not checked: "every schema-valid request is accepted". A body can fit the schema and still
# be refused by a rule of the domain (422: flagging with "other" and no note, replying in a
# closed discussion), and a cursor is any string to the schema but only ours are accepted.


@pytest.fixture
def content(reader, other_reader):
    """Something at the small ids the generator tries first: articles, posts, a group, a
    session the reader may answer."""
    article = factories.make_article("Beijing Signals")
    discussion = factories.public_discussion(article)
    root = factories.make_post(discussion, other_reader, "The opening comment.")
    factories.make_post(discussion, other_reader, "A reply.", parent=root)
    from forum.groups.services import ensure_group

    group = ensure_group("Great Decisions Discussion group")
    make_membership(group, reader, MemberRole.MEMBER)
    make_session(group, capacity=1)
    return make_token(reader, "write")


@pytest.fixture
def api_schema(app, monkeypatch):
    # The generator sends hundreds of requests a minute; the limits are tested on their own.
    monkeypatch.setitem(app.config, "RATELIMIT_API", "100000 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_POSTING", "100000 per minute")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _check_operation(operation, mode, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # Each request in a context of its own, as on a real server (RequestIsolatingClient).
        contextvars.Context().run(
            case.call_and_validate, headers=headers, excluded_checks=[positive_data_acceptance]
        )

    check()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
def test_the_api_behaves_as_its_document_says(api_schema, content, mode):
    """Valid requests (positive) and requests that break the document (negative)."""
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:
        try:
            _check_operation(operation, mode, bearer(content))
        except Unsatisfiable:
            # No request breaks this operation's document (a path of one free-form slug).
            continue
        except Exception as failure:  # noqa: BLE001 - every operation is checked, then reported
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_the_document_is_openapi_3_1_and_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routed.add((method, path))
    assert documented == routed
