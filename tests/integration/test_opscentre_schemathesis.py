"""schemathesis against the published OpenAPI document and a live opscentre (real PostgreSQL):
no server error, and every response is one the document describes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from schemas.publish import OPENAPI_FILE, PUBLISHED
from tests.integration.opscentre import (
    OPERATOR_TOKEN,
    LiveServer,
    Partners,
    auth,
    region_code,
    settings_for,
)

pytestmark = pytest.mark.integration

SCHEMA = schemathesis.openapi.from_path(PUBLISHED / OPENAPI_FILE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STREAM = "/api/v1/stream"  # endless by design: covered by test_opscentre_stream.py


@pytest.fixture(scope="module")
def live(database_url: str) -> Iterator[tuple[LiveServer, Partners]]:
    partners = Partners.covering(region_code())
    with LiveServer(settings_for(database_url, "127.0.0.1:1", "unused"), partners.registry) as s:
        yield s, partners


@pytest.mark.parametrize("who", ["operator", "partner"])
def test_api_conforms_to_its_published_document(
    live: tuple[LiveServer, Partners], who: str
) -> None:
    server, partners = live
    token = OPERATOR_TOKEN if who == "operator" else partners.health_token
    operations = [r.ok() for r in SCHEMA.get_all_operations()]
    operations = [op for op in operations if op.path != STREAM]
    assert len(operations) >= 8
    cases = st.one_of(*(op.as_strategy() for op in operations))

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=server.url, headers=auth(token))
        case.validate_response(response, checks=CHECKS)

    check()
