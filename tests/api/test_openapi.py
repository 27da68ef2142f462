"""The OpenAPI document against the API itself: schemathesis generates requests for every
operation from the document and checks each response (no 500s; status, headers and body as
documented), in-process against the WSGI app, signed in with a write token."""

from __future__ import annotations

import contextvars
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
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


def _can_be_broken(operation) -> bool:
    """Whether a request can break the document: the operation takes a body or a query
    parameter, or a path parameter other than a free-form string (a slug made "invalid" is
    empty or holds a slash: another address, not a bad value)."""
    if operation.body.items or operation.query.items:
        return True
    return any(
        parameter.definition["schema"].get("type") != "string"
        for parameter in operation.path_parameters.items
    )


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
        if mode is GenerationMode.NEGATIVE and not _can_be_broken(operation):
            continue
        try:
            _check_operation(operation, mode, bearer(content))
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - all are reported
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


def test_a_response_that_drifts_from_the_document_is_caught(api_schema, content, monkeypatch):
    """The check can fail: an article whose title is sent as a number breaks the run."""
    from forum.api import schemas

    fields = [
        schemas.Field(f.name, f.schema, lambda a, c: 42) if f.name == "title" else f
        for f in schemas.ArticleSummarySchema.fields
    ]
    monkeypatch.setattr(schemas.ArticleSummarySchema, "fields", fields)
    (listing,) = [
        result.ok()
        for result in api_schema.get_all_operations()
        if result.ok().path == "/api/v1/articles"
    ]
    with pytest.raises(BaseExceptionGroup, match="Response violates schema"):
        _check_operation(listing, GenerationMode.POSITIVE, bearer(content))
