"""CAP XML posted to the gateway: the CAP adapter's conversion, refusals as one error type."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.hazard import HazardWarning
from services.gateway.cap import CapInvalid, hazard_payloads
from services.registry.regions import load_regions

CAP = Path(__file__).resolve().parents[3] / "shared" / "data" / "cap"
REGIONS = load_regions()
LIMIT = 1024 * 1024

pytestmark = pytest.mark.skipif(not CAP.is_dir(), reason="../shared/data/cap is not here")


def test_an_actual_alert_becomes_hazard_warnings_with_deterministic_ids() -> None:
    body = (CAP / "australia.cap").read_bytes()
    first, again = hazard_payloads(body, REGIONS, LIMIT), hazard_payloads(body, REGIONS, LIMIT)
    assert first == again and len(first.warnings) == 2 and first.held == []
    for event_id, data in first.warnings:
        assert event_id.startswith("cap:")
        HazardWarning.model_validate(data)


def test_an_exercise_is_held_back() -> None:
    payloads = hazard_payloads((CAP / "ph.cap").read_bytes(), REGIONS, LIMIT)
    assert payloads.warnings == [] and len(payloads.held) == 1


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ((CAP / "invalid.cap").read_bytes() if CAP.is_dir() else b"", "alert/scope"),
        ((CAP / "xee.cap").read_bytes() if CAP.is_dir() else b"", "DOCTYPE"),
        (b"<alert", ": "),
        (b"\xff\xfe\x00", ": "),
    ],
)
def test_invalid_documents_are_refused_with_the_element(body: bytes, names: str) -> None:
    with pytest.raises(CapInvalid, match=names):
        hazard_payloads(body, REGIONS, LIMIT)
