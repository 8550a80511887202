"""CAP adapter: real alerts convert, invalid and unsafe ones are refused by name, fuzzing raises
nothing but AdapterError."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.types import Certainty, MsgType, ResponseType
from services.adapters.cap import convert
from services.adapters.errors import AdapterError
from services.registry.regions import load_regions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cap"
REGIONS = load_regions()
CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11 = "urn:oasis:names:tc:emergency:cap:1.1"

# file → (version, Actual warnings, held warnings)
CONVERTS = {
    "australia.cap": ("CAP 1.2", 2, 0),
    "canada.cap": ("CAP 1.2", 1, 0),  # en-CA kept, fr-CA a translation
    "iceland_met_office.cap": ("CAP 1.2", 1, 0),  # en-US kept, is-IS a translation
    "mexico.xml": ("CAP 1.2", 1, 0),
    "no_info_tag.cap": ("CAP 1.2", 1, 0),  # a Cancel without info, XML signature inside
    "no_optional_fields.cap": ("CAP 1.1", 0, 0),  # valid, nothing to convert
    "ph.cap": ("CAP 1.2", 0, 1),  # status Test, XML signature inside
    "taiwan.cap": ("CAP 1.2", 1, 0),  # UTF-8 byte-order mark
    "haiti-flood.cap": ("CAP 1.2", 1, 0),
}
REFUSED = {
    "invalid.cap": "alert/scope",
    "invalid_xmlns.cap": "namespace 'urn:oasis:names:tc:emergency:alerts:1.2'",
    "xee.cap": "DOCTYPE",
}


def test_every_shared_file_is_covered() -> None:
    assert {p.name for p in FIXTURES.iterdir()} == set(CONVERTS) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(CONVERTS))
def test_real_alert_converts(name: str) -> None:
    version, actual, held = CONVERTS[name]
    result = convert((FIXTURES / name).read_bytes(), REGIONS)
    assert (result.version, len(result.warnings), len(result.held)) == (version, actual, held)
    ids = [w.event_id for w in result.warnings + result.held]
    assert len(set(ids)) == len(ids)
    assert convert((FIXTURES / name).read_bytes(), REGIONS) == result  # deterministic ids


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_invalid_alert_refused_naming_the_element(name: str) -> None:
    with pytest.raises(AdapterError) as caught:
        convert((FIXTURES / name).read_bytes(), REGIONS)
    assert REFUSED[name] in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_cancel_without_info_is_represented() -> None:
    (w,) = convert((FIXTURES / "no_info_tag.cap").read_bytes(), REGIONS).warnings
    assert w.warning.msg_type is MsgType.CANCEL and w.warning.without_info
    assert w.warning.referenced_identifiers() == ("1017033100951096-517189320160225203219800",)


def test_update_keeps_its_references() -> None:
    (w,) = convert((FIXTURES / "mexico.xml").read_bytes(), REGIONS).warnings
    assert w.warning.msg_type is MsgType.UPDATE
    assert w.warning.referenced_identifiers() == ("avisossmn-ciclontropical-4061",)


def test_haiti_regions_from_polygon_circle_and_geocode() -> None:
    (w,) = convert((FIXTURES / "haiti-flood.cap").read_bytes(), REGIONS).warnings
    assert [a.region_pcodes for a in w.warning.areas] == [("HT01",), ("HT02",)]
    assert w.warning.response_types == {ResponseType.EVACUATE}


def alert(ns: str = CAP12, *, head: str = "", info: str | None = None, sent: str = "") -> bytes:
    sent = sent or "2026-11-26T03:00:00-05:00"
    info = (
        "<info><category>Met</category><event>Storm</event><urgency>Immediate</urgency>"
        "<severity>Severe</severity><certainty>Observed</certainty>"
        "<area><areaDesc>PaP</areaDesc><circle>18.54,-72.34 10</circle></area></info>"
        if info is None
        else info
    )
    head = head or "<msgType>Alert</msgType>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><alert xmlns="{ns}"><identifier>x-1</identifier>'
        f"<sender>s@example.org</sender><sent>{sent}</sent><status>Actual</status>{head}"
        f"<scope>Public</scope>{info}</alert>"
    ).encode()


def test_cap_1_1_rules_very_likely_and_zulu() -> None:
    info = (
        "<info><category>Geo</category><event>Quake</event><urgency>Immediate</urgency>"
        "<severity>Extreme</severity><certainty>Very Likely</certainty>"
        "<area><areaDesc>PaP</areaDesc><geocode><valueName>pcode</valueName>"
        "<value>HT0111</value></geocode></area></info>"
    )
    result = convert(alert(CAP11, info=info, sent="2026-11-26T08:00:00Z"), REGIONS)
    (w,) = result.warnings
    assert result.version == "CAP 1.1" and w.warning.certainty is Certainty.LIKELY
    assert w.warning.areas[0].region_pcodes == ("HT01",)


def test_version_rules_differ() -> None:
    avoid = alert(info=None).replace(b"<urgency>", b"<responseType>Avoid</responseType><urgency>")
    assert convert(avoid, REGIONS).warnings  # CAP 1.2 knows Avoid
    with pytest.raises(AdapterError, match=r"info\[1\]/responseType\[1\]: 'Avoid'"):
        convert(avoid.replace(CAP12.encode(), CAP11.encode()), REGIONS)
    with pytest.raises(AdapterError, match=r"alert/sent: .*forbids 'Z'"):
        convert(alert(sent="2026-11-26T08:00:00Z"), REGIONS)
    with pytest.raises(AdapterError, match=r"info\[1\]/certainty: 'Very Likely'"):
        convert(alert().replace(b">Observed<", b">Very Likely<"), REGIONS)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        (alert(head="<msgType>Update</msgType>"), "alert/references: required and non-empty"),
        (alert(head="<msgType>Cancel</msgType><references> </references>"), "alert/references"),
        (alert(head="<msgType>Warning</msgType>"), "alert/msgType: 'Warning' is not one of"),
        (alert().replace(b"<event>Storm</event>", b"<event> </event>"), r"info\[1\]/event"),
        (alert().replace(b"<category>Met</category>", b""), r"info\[1\]/category"),
        (alert().replace(b"<areaDesc>PaP</areaDesc>", b""), r"area\[1\]/areaDesc"),
        (alert().replace(b"10</circle>", b"</circle>"), r"area\[1\]/circle\[1\]"),
        (
            alert().replace(b"<circle>18.54,-72.34 10</circle>", b"<polygon>1,1 2,2 3,3</polygon>"),
            r"area\[1\]/polygon\[1\]: a polygon needs at least four",
        ),
        (alert().replace(b"<identifier>x-1<", b"<identifier>x 1<"), "alert/identifier"),
        (b"<alert", "document: malformed XML"),
        (b"<alert xmlns='urn:x'/>", "alert: namespace 'urn:x'"),
        (b"<feed/>", "feed: the root element"),
    ],
)
def test_invalid_documents(document: bytes, where: str) -> None:
    with pytest.raises(AdapterError, match=where):
        convert(document, REGIONS)


def test_nothing_to_convert_is_valid() -> None:
    other = alert().replace(b"<category>Met</category>", b"<category>Transport</category>")
    result = convert(other, REGIONS)
    assert result.warnings == () and "not acted on" in result.notes[0]


@pytest.mark.parametrize("status", ["Test", "Exercise", "Draft"])
def test_non_actual_alerts_are_held_apart(status: str) -> None:
    result = convert(alert().replace(b">Actual<", f">{status}<".encode()), REGIONS)
    assert result.warnings == () and len(result.held) == 1


@pytest.mark.parametrize("encoding", ["iso-8859-1", "shift_jis", "utf-16", "cp1252"])
def test_any_declared_encoding(encoding: str) -> None:
    text = alert().decode().replace("UTF-8", encoding).replace("Storm", "Tempête")
    if encoding == "shift_jis":
        text = text.replace("Tempête", "台風")
    (w,) = convert(text.encode(encoding), REGIONS).warnings
    assert w.warning.event in ("Tempête", "台風")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""


XEE = (FIXTURES / "xee.cap").read_bytes()


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL, XEE])
def test_entities_and_dtds_refused_without_network_or_files(
    document: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser tried to reach the network or a file")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr("builtins.open", forbidden)
    with pytest.raises(AdapterError, match="DOCTYPE"):
        convert(document, REGIONS)


def test_size_limit() -> None:
    with pytest.raises(AdapterError, match="larger than"):
        convert(alert() + b" " * 100, REGIONS, limit=100)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_adapter_errors(data: bytes) -> None:
    with contextlib.suppress(AdapterError):
        convert(data, REGIONS)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 40), st.binary(max_size=30))
def test_mutated_alerts_raise_only_adapter_errors(at: int, cut: int, insert: bytes) -> None:
    base = (FIXTURES / "haiti-flood.cap").read_bytes()
    at = at % len(base)
    with contextlib.suppress(AdapterError):
        convert(base[:at] + insert + base[at + cut :], REGIONS)
