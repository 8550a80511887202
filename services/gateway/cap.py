"""CAP XML posted to the gateway: converted to HazardWarnings by the CAP adapter, then each
signed as the posting partner and screened like any event.

``services/adapters/cap.py`` is being written alongside the gateway; until it lands, CAP is
answered with 415 and a message saying where to post instead (:class:`CapUnavailable`).
"""

from __future__ import annotations

from typing import Any


class CapUnavailable(Exception):
    """CAP conversion is not available in this build."""


class CapInvalid(Exception):
    """The document is not a valid CAP alert; the message names the element and the rule."""


def hazard_payloads(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event id, HazardWarning data) per convertible ``info`` of the alert in ``body``."""
    raise CapUnavailable(
        "CAP XML is not accepted by this gateway yet (the CAP adapter is not installed): convert"
        " the alert and post HazardWarning CloudEvents to /v1/events"
    )
