"""CAP 1.1 and 1.2: the rules each version sets, and a reader that enforces them element by element.

Sources: OASIS CAP 1.1 (2005) and CAP 1.2 (2010) specifications and their XML schemas. The two
differ where it matters here: 1.2 adds the response types ``Avoid`` and ``AllClear`` and
restricts date-times to ``YYYY-MM-DDThh:mm:ss±hh:mm`` (no ``Z``, no fractions); 1.1 takes any
``xs:dateTime`` and still accepts CAP 1.0's certainty ``Very Likely`` (read as ``Likely``).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from services.adapters.errors import AdapterError


@dataclass(frozen=True)
class CapVersion:
    name: str
    namespace: str
    response_types: frozenset[str]
    certainties: frozenset[str]
    datetime_pattern: re.Pattern[str]


_COMMON_RESPONSES = {"Shelter", "Evacuate", "Prepare", "Execute", "Monitor", "Assess", "None"}
_CERTAINTIES = {"Observed", "Likely", "Possible", "Unlikely", "Unknown"}

CAP_1_1 = CapVersion(
    name="CAP 1.1",
    namespace="urn:oasis:names:tc:emergency:cap:1.1",
    response_types=frozenset(_COMMON_RESPONSES),
    certainties=frozenset(_CERTAINTIES | {"Very Likely"}),
    datetime_pattern=re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"),
)
CAP_1_2 = CapVersion(
    name="CAP 1.2",
    namespace="urn:oasis:names:tc:emergency:cap:1.2",
    response_types=frozenset(_COMMON_RESPONSES | {"Avoid", "AllClear"}),
    certainties=frozenset(_CERTAINTIES),
    datetime_pattern=re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$"),
)
VERSIONS = {v.namespace: v for v in (CAP_1_1, CAP_1_2)}

STATUSES = frozenset({"Actual", "Exercise", "System", "Test", "Draft"})
MSG_TYPES = frozenset({"Alert", "Update", "Cancel", "Ack", "Error"})
SCOPES = frozenset({"Public", "Restricted", "Private"})
CATEGORIES = frozenset(
    {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport",
     "Infra", "CBRNE", "Other"}
)  # fmt: skip
URGENCIES = frozenset({"Immediate", "Expected", "Future", "Past", "Unknown"})
SEVERITIES = frozenset({"Extreme", "Severe", "Moderate", "Minor", "Unknown"})

_TOKEN = re.compile(r"^[^\s,<&]+$")  # identifier and sender: no spaces, commas, < or &


class CapReader:
    """Reads the children of CAP elements in one version's namespace, refusing what it forbids."""

    def __init__(self, version: CapVersion) -> None:
        self.version = version
        self._ns = "{" + version.namespace + "}"

    def children(self, parent: Element, name: str) -> list[Element]:
        return parent.findall(self._ns + name)

    def text(self, parent: Element, name: str, path: str, *, required: bool = False) -> str | None:
        """The single child ``name``'s text, stripped; None when absent (or empty and optional)."""
        found = self.children(parent, name)
        where = f"{path}/{name}"
        if len(found) > 1:
            raise AdapterError(where, "may appear only once")
        if not found:
            if required:
                raise AdapterError(where, f"required by {self.version.name} but missing")
            return None
        value = "".join(found[0].itertext()).strip()
        if not value:
            if required:
                raise AdapterError(where, f"required by {self.version.name} but empty")
            return None
        return value

    def texts(self, parent: Element, name: str, path: str) -> list[str]:
        """Every child ``name``'s text; an empty one is refused (CAP has no empty values)."""
        values = []
        for i, child in enumerate(self.children(parent, name), start=1):
            value = "".join(child.itertext()).strip()
            if not value:
                raise AdapterError(f"{path}/{name}[{i}]", "must not be empty")
            values.append(value)
        return values

    def one_of(
        self, parent: Element, name: str, path: str, allowed: frozenset[str], *,
        required: bool = True,
    ) -> str | None:  # fmt: skip
        value = self.text(parent, name, path, required=required)
        if value is not None and value not in allowed:
            raise AdapterError(f"{path}/{name}", self.not_one_of(value, allowed))
        return value

    def token(self, parent: Element, name: str, path: str) -> str:
        value = self.text(parent, name, path, required=True)
        assert value is not None  # required
        if not _TOKEN.match(value):
            raise AdapterError(f"{path}/{name}", "must not contain spaces, commas, < or &")
        return value

    def moment(
        self, parent: Element, name: str, path: str, *, required: bool = False
    ) -> datetime | None:
        value = self.text(parent, name, path, required=required)
        if value is None:
            return None
        where = f"{path}/{name}"
        if not self.version.datetime_pattern.match(value):
            rule = (
                "must be YYYY-MM-DDThh:mm:ss with a numeric UTC offset (CAP 1.2 forbids 'Z')"
                if self.version is CAP_1_2
                else "must be an xs:dateTime with a UTC offset"
            )
            raise AdapterError(where, rule)
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise AdapterError(where, "is not a valid date and time") from None

    def not_one_of(self, value: str, allowed: frozenset[str]) -> str:
        shown = value if len(value) <= 40 else value[:40] + "…"
        return (
            f"{shown!r} is not one of {self.version.name}'s values ({', '.join(sorted(allowed))})"
        )
