"""CAP XML posted to the gateway: converted by the CAP adapter (``services/adapters/cap.py``)
into HazardWarnings, each then signed as the posting partner and screened like any event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from services.adapters.cap import convert
from services.adapters.errors import AdapterError
from services.registry.regions import RegionRegistry

log = structlog.get_logger()


class CapInvalid(Exception):
    """The document is not a valid CAP alert; the message names the element and the rule."""


@dataclass(frozen=True)
class CapPayloads:
    warnings: list[tuple[str, dict[str, Any]]]  # (event id, HazardWarning data), to publish
    held: list[str]  # event ids of Test, Exercise and Draft alerts: never published
    notes: list[str]  # what was not converted, and why


def hazard_payloads(body: bytes, regions: RegionRegistry, limit: int) -> CapPayloads:
    """The HazardWarnings of the alert in ``body``; raises :class:`CapInvalid`."""
    try:
        result = convert(body, regions, limit=limit)
    except AdapterError as exc:
        raise CapInvalid(str(exc)) from None
    except Exception:  # the adapter raises AdapterError only; a bug of ours is still a 400
        log.exception("CAP conversion failed")
        raise CapInvalid("the CAP adapter could not read this document") from None
    return CapPayloads(
        [(w.event_id, w.warning.model_dump(mode="json")) for w in result.warnings],
        [w.event_id for w in result.held],
        list(result.notes),
    )
