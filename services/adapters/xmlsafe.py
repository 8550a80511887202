"""Parse untrusted XML safely: a size limit, the declared encoding, no DTD and no entities.

defusedxml refuses any DTD (so no entity expansion, no external entity, no remote DTD) before a
byte of it is acted on; nothing is fetched, nothing is read from disk. The document is decoded
by Python's codecs in whatever encoding its byte-order mark or XML declaration names, and handed
to the parser as UTF-8, so an encoding expat does not know (Shift_JIS, GB18030, cp1252…) is read.
"""

import codecs
import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.adapters.errors import AdapterError

MAX_XML_BYTES = 1024 * 1024
"""Largest document accepted (real CAP alerts are a few kB; Kafka's limit is 4 MiB)."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARATION = re.compile(
    rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._-]{0,39})[\"']"
)
_DECLARATION_TEXT = re.compile(r"^\s*<\?xml\s[^>]*\?>")


def _decode(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _with(data[len(bom) :], name)
    if data.startswith((b"\x00<\x00", b"<\x00")):  # UTF-16 without a byte-order mark
        return _with(data, "utf-16-be" if data[0] == 0 else "utf-16-le")
    found = _DECLARATION.match(data[:300])
    return _with(data, found.group(1).decode("ascii") if found else "utf-8")


def _with(data: bytes, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise AdapterError("xml declaration", f"unknown encoding {encoding!r}") from None
    if codec.name in ("utf-16", "utf-32"):  # declared without a BOM: guess no further
        raise AdapterError("xml declaration", f"{encoding} without a byte-order mark")
    try:
        return codec.decode(data)[0]
    except (UnicodeDecodeError, ValueError):
        raise AdapterError("document", f"bytes are not valid {codec.name}") from None


def parse_xml(data: bytes, *, limit: int = MAX_XML_BYTES) -> Element:
    """The root element of ``data``; AdapterError naming the construct when it is refused."""
    if len(data) > limit:
        raise AdapterError("document", f"larger than {limit} bytes")
    text = _DECLARATION_TEXT.sub("", _decode(data), count=1)
    try:
        return fromstring(
            text.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise AdapterError(
            _construct(exc), "refused: no DTD, entities or external references"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise AdapterError("document", f"malformed XML at line {line}, column {column}") from None
    except (ValueError, RecursionError):  # e.g. characters XML forbids, absurd nesting
        raise AdapterError("document", "malformed XML") from None


def _construct(exc: DefusedXmlException) -> str:
    name = type(exc).__name__  # DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    return {
        "DTDForbidden": "DOCTYPE",
        "EntitiesForbidden": "ENTITY",
        "ExternalReferenceForbidden": "external reference",
    }.get(name, name)
