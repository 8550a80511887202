"""The CloudEvents 1.0 envelope every message travels in.

Core context attributes are fields; extension attributes (lower-case alphanumeric names, string
values) are kept apart in :attr:`CloudEvent.extensions`. ``data`` is the parsed JSON value of the
payload; :mod:`schemas.codec` turns it into a payload model.
"""

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from schemas.types import EventId, PartnerId, Timestamp

CORE_ATTRIBUTES = frozenset(
    {"specversion", "id", "source", "type", "time", "subject", "datacontenttype"}
)
RESERVED_NAMES = CORE_ATTRIBUTES | {"data", "data_base64"}
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
MAX_EXTENSION_VALUE = 1000

SIGNATURE_EXTENSION = "corridorsig"
"""Extension carrying the hex HMAC-SHA256 of the canonical data bytes (see schemas.signing)."""

PARTNER_SOURCE_PREFIX = "corridor:partner:"
_PARTNER_SOURCE = re.compile(r"^corridor:partner:([a-z0-9][a-z0-9-]{1,39})$")

JSON = "application/json"

Source = Annotated[str, StringConstraints(pattern=r"^\S{1,500}$")]
"""A CloudEvents ``source``: a non-empty URI-reference."""


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with a JSON ``data`` value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: EventId
    source: Source
    type: Annotated[str, StringConstraints(pattern=r"^\S{1,200}$")]
    time: Timestamp | None = None
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    datacontenttype: Annotated[str, StringConstraints(min_length=1, max_length=200)] = JSON
    data: Any = None
    extensions: Mapping[str, str] = {}

    @field_validator("datacontenttype")
    @classmethod
    def _json(cls, value: str) -> str:
        media = value.split(";", 1)[0].strip().lower()
        if media != JSON and not media.endswith("+json"):
            raise ValueError(f"only JSON data is accepted, not {value[:100]!r}")
        return value

    @field_validator("extensions")
    @classmethod
    def _extension_names(cls, extensions: Mapping[str, str]) -> Mapping[str, str]:
        for name, value in extensions.items():
            if name in RESERVED_NAMES or not EXTENSION_NAME.match(name):
                raise ValueError(
                    f"invalid extension attribute name {name[:40]!r}:"
                    " 1-20 lower-case letters or digits, not a core attribute"
                )
            if len(value) > MAX_EXTENSION_VALUE:
                raise ValueError(f"extension {name} is longer than {MAX_EXTENSION_VALUE}")
        return extensions

    def partner_from_source(self) -> PartnerId | None:
        """The partner id of a ``corridor:partner:<partner_id>`` source, else None."""
        return partner_from_source(self.source)


def partner_from_source(source: str) -> PartnerId | None:
    match = _PARTNER_SOURCE.match(source)
    return match.group(1) if match else None


def partner_source(partner_id: PartnerId) -> str:
    """The CloudEvents ``source`` a partner uses: ``corridor:partner:<partner_id>``."""
    return PARTNER_SOURCE_PREFIX + partner_id
