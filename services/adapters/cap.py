"""CAP 1.1 / 1.2 alerts → HazardWarnings, one per relevant ``info``.

* Refused (AdapterError naming the element and the rule): malformed or unsafe XML, a namespace
  that is not CAP 1.1 or 1.2, a required element missing or empty, a value outside the alert's
  own version's vocabulary, an Update or Cancel without ``references``.
* Converted: each ``info`` of a category Corridor acts on, in one language (English when the
  alert has it, else the first language: the other ``info`` blocks are translations), with its
  areas' regions resolved from geocodes, polygons and circles. A Cancel without ``info`` becomes
  one warning without areas.
* Kept apart: warnings of Test, Exercise and Draft alerts are in :attr:`CapResult.held`, never
  in :attr:`CapResult.warnings`. System messages, Acks and Errors convert to nothing.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from schemas.errors import describe
from schemas.hazard import Circle, Geocode, HazardArea, HazardWarning
from schemas.types import GeoPoint
from services.adapters import cap_rules as rules
from services.adapters.cap_geo import geocode_regions, parse_circle, parse_polygon, shape_regions
from services.adapters.cap_rules import CapReader
from services.adapters.errors import AdapterError
from services.adapters.xmlsafe import MAX_XML_BYTES, parse_xml
from services.registry.regions import RegionRegistry

ACTED_ON = frozenset({"Geo", "Met", "Safety", "Rescue", "Fire", "Health", "Env", "Infra", "CBRNE"})
"""Categories of hazards that displace people; Security, Transport and Other are not acted on."""

CONVERTED_MSG_TYPES = frozenset({"Alert", "Update", "Cancel"})
HELD_STATUSES = frozenset({"Test", "Exercise", "Draft"})
M = TypeVar("M", HazardWarning, HazardArea, Geocode)
DEFAULT_LANGUAGE = "en-US"  # CAP's default for an info without <language>


@dataclass(frozen=True)
class CapWarning:
    """A warning and its deterministic CloudEvents id (the same alert → the same id)."""

    event_id: str
    warning: HazardWarning


@dataclass(frozen=True)
class CapResult:
    version: str
    identifier: str
    status: str
    msg_type: str
    warnings: tuple[CapWarning, ...]  # from Actual alerts only
    held: tuple[CapWarning, ...]  # from Test, Exercise and Draft alerts
    notes: tuple[str, ...]  # what was not converted, and why


def convert(data: bytes, regions: RegionRegistry, *, limit: int = MAX_XML_BYTES) -> CapResult:
    """Validate one CAP document and convert it; AdapterError when it is refused."""
    root = parse_xml(data, limit=limit)
    namespace, _, local = (
        root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    )
    if local != "alert":
        raise AdapterError(local[:40] or "root", "the root element of a CAP document is alert")
    version = rules.VERSIONS.get(namespace)
    if version is None:
        shown = namespace[:80] or "no namespace"
        raise AdapterError("alert", f"namespace {shown!r} is not CAP 1.1 or 1.2")
    return _Converter(CapReader(version), regions).alert(root)


class _Converter:
    def __init__(self, read: CapReader, regions: RegionRegistry) -> None:
        self.read = read
        self.regions = regions

    def alert(self, root: Element) -> CapResult:
        r, path = self.read, "alert"
        identifier = r.token(root, "identifier", path)
        sender = r.token(root, "sender", path)
        sent = r.moment(root, "sent", path, required=True)
        assert sent is not None  # required
        status = r.one_of(root, "status", path, rules.STATUSES) or ""
        msg_type = r.one_of(root, "msgType", path, rules.MSG_TYPES) or ""
        scope = r.one_of(root, "scope", path, rules.SCOPES)
        if scope == "Restricted":
            r.text(root, "restriction", path, required=True)
        if scope == "Private":
            r.text(root, "addresses", path, required=True)
        references = tuple((r.text(root, "references", path) or "").split())
        if msg_type in ("Update", "Cancel", "Ack", "Error") and not references:
            raise AdapterError(
                f"{path}/references", f"required and non-empty when msgType is {msg_type}"
            )
        infos = [
            self.info(e, i, f"{path}/info[{i}]") for i, e in enumerate(r.children(root, "info"), 1)
        ]

        notes: list[str] = []
        converted: list[CapWarning] = []
        if status == "System" or msg_type not in CONVERTED_MSG_TYPES:
            notes.append(f"status {status}, msgType {msg_type}: not a hazard warning")
        elif not infos and msg_type == "Cancel":
            warning = self._warning(path, identifier=identifier, msg_type=msg_type, sent=sent,
                                    references=references)  # fmt: skip
            converted.append(CapWarning(_event_id(sender, identifier, sent, 0), warning))
        elif not infos:
            notes.append("no info: nothing to convert")
        for i, info in self._chosen(infos, notes):
            if not info.areas and msg_type != "Cancel":
                notes.append(f"info[{i}]: no area, nothing to locate")
                continue
            warning = self._warning(
                f"{path}/info[{i}]", identifier=identifier, msg_type=msg_type, sent=sent,
                references=references, event=info.event[:200], urgency=info.urgency,
                severity=info.severity, certainty=info.certainty,
                response_types=info.response_types, expires=info.expires,
                headline=info.headline[:300] if info.headline else None, areas=info.areas,
            )  # fmt: skip
            converted.append(CapWarning(_event_id(sender, identifier, sent, i), warning))
        held = status in HELD_STATUSES
        return CapResult(
            version=self.read.version.name, identifier=identifier, status=status,
            msg_type=msg_type, warnings=() if held else tuple(converted),
            held=tuple(converted) if held else (), notes=tuple(notes),
        )  # fmt: skip

    def info(self, e: Element, index: int, path: str) -> "_Info":
        r, v = self.read, self.read.version
        categories = r.texts(e, "category", path)
        if not categories:
            raise AdapterError(f"{path}/category", f"at least one is required by {v.name}")
        for i, c in enumerate(categories, 1):
            if c not in rules.CATEGORIES:
                raise AdapterError(f"{path}/category[{i}]", r.not_one_of(c, rules.CATEGORIES))
        responses = r.texts(e, "responseType", path)
        for i, t in enumerate(responses, 1):
            if t not in v.response_types:
                raise AdapterError(f"{path}/responseType[{i}]", r.not_one_of(t, v.response_types))
        event = r.text(e, "event", path, required=True) or ""
        urgency = r.one_of(e, "urgency", path, rules.URGENCIES) or ""
        severity = r.one_of(e, "severity", path, rules.SEVERITIES) or ""
        certainty = r.one_of(e, "certainty", path, v.certainties) or ""
        for name in ("effective", "onset"):
            r.moment(e, name, path)
        areas = tuple(
            self.area(a, f"{path}/area[{i}]") for i, a in enumerate(r.children(e, "area"), 1)
        )
        return _Info(
            index=index,
            language=r.text(e, "language", path) or DEFAULT_LANGUAGE,
            categories=frozenset(categories),
            event=event,
            urgency=urgency,
            severity=severity,
            certainty="Likely" if certainty == "Very Likely" else certainty,
            response_types=frozenset(responses),
            expires=r.moment(e, "expires", path),
            headline=r.text(e, "headline", path),
            areas=areas,
        )  # fmt: skip

    def area(self, e: Element, path: str) -> HazardArea:
        r = self.read
        description = r.text(e, "areaDesc", path, required=True) or ""
        polygons = tuple(
            parse_polygon(text, f"{path}/polygon[{i}]")
            for i, text in enumerate(r.texts(e, "polygon", path), 1)
        )
        circles = tuple(
            parse_circle(text, f"{path}/circle[{i}]")
            for i, text in enumerate(r.texts(e, "circle", path), 1)
        )
        geocodes = tuple(
            self.geocode(g, f"{path}/geocode[{i}]")
            for i, g in enumerate(r.children(e, "geocode"), 1)
        )
        altitude = r.text(e, "altitude", path)
        ceiling = r.text(e, "ceiling", path)
        if ceiling is not None and altitude is None:
            raise AdapterError(f"{path}/ceiling", "may only be used with altitude")
        found = geocode_regions(geocodes, self.regions) | shape_regions(
            self.regions, polygons, circles
        )
        return self._validated(
            HazardArea, path, description=description[:300], polygons=polygons,
            circles=circles, geocodes=geocodes, region_pcodes=tuple(sorted(found)),
        )  # fmt: skip

    def geocode(self, e: Element, path: str) -> Geocode:
        name = self.read.text(e, "valueName", path, required=True)
        value = self.read.text(e, "value", path, required=True)
        return self._validated(Geocode, path, name=name, value=value)

    def _chosen(self, infos: list["_Info"], notes: list[str]) -> list[tuple[int, "_Info"]]:
        relevant = []
        for info in infos:
            if info.categories & ACTED_ON:
                relevant.append(info)
            else:
                cats = ", ".join(sorted(info.categories))
                notes.append(f"info[{info.index}]: category {cats} is not acted on")
        languages = [i.language for i in relevant]
        english = [lang for lang in languages if lang.lower().startswith("en")]
        chosen = (english or languages or [""])[0]
        for info in relevant:
            if info.language != chosen:
                notes.append(f"info[{info.index}]: {info.language}, a translation of {chosen}")
        return [(i.index, i) for i in relevant if i.language == chosen]

    def _warning(self, path: str, **fields: object) -> HazardWarning:
        return self._validated(HazardWarning, path, **fields)

    def _validated(self, model: type[M], path: str, **fields: object) -> M:
        try:
            return model.model_validate(fields)
        except ValidationError as exc:
            raise AdapterError(path, describe(exc, root=model.__name__)) from None


@dataclass(frozen=True)
class _Info:
    index: int
    language: str
    categories: frozenset[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: frozenset[str]
    expires: datetime | None
    headline: str | None
    areas: tuple[HazardArea, ...]


def _event_id(sender: str, identifier: str, sent: datetime, index: int) -> str:
    """``cap:<40 hex>:<info index>``: a digest of CAP's own key (sender, identifier, sent)."""
    key = f"{sender}\x00{identifier}\x00{sent.isoformat()}".encode()
    return f"cap:{hashlib.sha256(key).hexdigest()[:40]}:{index}"


__all__ = ["ACTED_ON", "AdapterError", "CapResult", "CapWarning", "Circle", "GeoPoint", "convert"]
