"""Write the partner-facing contracts: a JSON Schema per payload type and the AsyncAPI document.

The output is checked in under ``schemas/published/`` and kept in sync by
``tests/unit/test_published.py``; regenerate with ``corridor schemas export`` (or
``python -m schemas.publish``).
"""

from pathlib import Path
from typing import Any

import orjson
import yaml

from schemas.asyncapi import document
from schemas.registry import MODEL_OF

PUBLISHED = Path(__file__).parent / "published"
ASYNCAPI_FILE = "asyncapi.yaml"
OPENAPI_FILE = "openapi.json"
GATEWAY_OPENAPI_FILE = "gateway-openapi.json"
SIGNING_VECTORS_FILE = "signing-vectors.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file(event_type: str) -> str:
    return f"{event_type}.schema.json"


def json_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of the payload (``data``) of an event type."""
    schema = MODEL_OF[event_type].model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:corridor:schema:{event_type}",
        **schema,
        "title": MODEL_OF[event_type].__name__,
    }


def render_json(value: Any) -> bytes:
    return orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    )


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so the description reads as written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render_yaml(value: Any) -> bytes:
    text = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text.encode()


def rendered() -> dict[str, bytes]:
    """File name → content of everything published."""
    files = {schema_file(t): render_json(json_schema(t)) for t in sorted(MODEL_OF)}
    files[ASYNCAPI_FILE] = render_yaml(document())
    # The HTTP APIs of the operations centre and the gateway (imported here only: the contracts
    # do not depend on them).
    from services.opscentre.openapi import document as openapi_document

    files[OPENAPI_FILE] = render_json(openapi_document())
    from services.gateway.openapi import document as gateway_document

    files[GATEWAY_OPENAPI_FILE] = render_json(gateway_document())
    files[SIGNING_VECTORS_FILE] = render_json(signing_vectors())
    return files


def signing_vectors() -> list[dict[str, Any]]:
    """Worked examples of the partner signature, for partners' own implementations."""
    from datetime import UTC, datetime

    from schemas.envelope import SIGNATURE_EXTENSION, CloudEvent
    from schemas.signing import sign_event, signed_bytes

    shared = "dev-only-not-a-secret-test-vector"  # a published example, never a real key
    events = [
        CloudEvent(
            id="0b9a7f5e-6d7c-4f5e-9a1b-2c3d4e5f6a7b", source="corridor:partner:iom-dtm-ht",
            type="org.corridor.shelter.capacity.v1",
            time=datetime(2026, 11, 26, 3, 0, 0, 123000, tzinfo=UTC),
            data={"shelter_id": "111_01_026", "occupancy": 120, "services": ["wash"],
                  "location": {"lat": 18.5392, "lon": -72.3364},
                  "capacity": {"kind": "floor_area", "covered_m2": 1234.5},
                  "reported_at": "2026-11-26T03:00:00Z"},
        ),
        CloudEvent(
            id="ht-unmh-2026-11-26-001", source="corridor:partner:cap-adapter", subject="HT01",
            type="org.corridor.hazard.warning.v1", time=datetime(2026, 11, 26, 3, tzinfo=UTC),
            data={"identifier": "ht-unmh-2026-11-26-001", "event": "Tempête tropicale",
                  "msg_type": "Alert", "urgency": "Expected", "severity": "Severe",
                  "certainty": "Likely", "response_types": ["Evacuate"],
                  "sent": "2026-11-26T03:00:00-05:00",
                  "headline": "Évacuation des zones inondables — Ouest (1e3 m ≠ 1.0 km)",
                  "areas": [{"description": "Département de l'Ouest",
                             "circles": [{"center": {"lat": 18.54, "lon": -72.34},
                                          "radius_km": 25.0}]}]},
        ),
    ]  # fmt: skip
    vectors = []
    for event in events:
        signed = sign_event(event, shared)
        vectors.append({
            "secret": shared,
            "event": {**event.model_dump(mode="json", exclude={"extensions"}, exclude_none=True)},
            "signed_bytes": signed_bytes(event).decode(),
            "signature": signed.extensions[SIGNATURE_EXTENSION],
        })  # fmt: skip
    return vectors


def export(out_dir: Path = PUBLISHED) -> list[Path]:
    """Write the published files into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in rendered().items():
        path = out_dir / name
        path.write_bytes(content)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in export():
        print(written)
