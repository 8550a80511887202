"""schemathesis against the published gateway OpenAPI document and a live gateway (real broker):
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

from schemas.publish import GATEWAY_OPENAPI_FILE, PUBLISHED
from services.config import Settings
from tests.integration.gateway import LiveGateway, token

pytestmark = pytest.mark.integration

SCHEMA = schemathesis.openapi.from_path(PUBLISHED / GATEWAY_OPENAPI_FILE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live(kafka_bootstrap: str) -> Iterator[LiveGateway]:
    config = Settings(
        kafka_bootstrap=kafka_bootstrap, topic_namespace="schemathesis",
        gateway_rate=10_000, gateway_burst=100_000,
    )  # fmt: skip
    with LiveGateway(config) as server:
        yield server


@pytest.mark.parametrize("authorised", [True, False])
def test_gateway_conforms_to_its_published_document(live: LiveGateway, authorised: bool) -> None:
    headers = token("iom-dtm-ht") if authorised else {}
    operations = [r.ok() for r in SCHEMA.get_all_operations()]
    assert {op.path for op in operations} == {"/v1/events", "/v1/cap"}
    cases = st.one_of(*(op.as_strategy() for op in operations))

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=live.url, headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()
