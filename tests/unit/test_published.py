"""The published JSON Schemas and AsyncAPI document are in sync with the code."""

from pathlib import Path

import orjson
import yaml

from schemas.catalogue import CATALOGUE, INBOX_TEMPLATE
from schemas.publish import ASYNCAPI_FILE, PUBLISHED, export
from schemas.registry import MODEL_OF

HINT = "schemas/published/ is out of date: run `corridor schemas export` and commit the result"


def test_published_files_match_the_code(tmp_path: Path) -> None:
    written = export(tmp_path)
    fresh = {p.name: p.read_bytes() for p in written}
    committed = {p.name: p.read_bytes() for p in PUBLISHED.iterdir() if p.is_file()}
    assert sorted(committed) == sorted(fresh), HINT
    stale = sorted(name for name in fresh if fresh[name] != committed[name])
    assert not stale, f"{HINT} (differs: {', '.join(stale)})"


def test_json_schemas_have_id_and_title() -> None:
    for event_type, model in MODEL_OF.items():
        schema = orjson.loads((PUBLISHED / f"{event_type}.schema.json").read_bytes())
        assert schema["$id"] == f"urn:corridor:schema:{event_type}"
        assert schema["title"] == model.__name__
        assert schema["additionalProperties"] is False


def test_asyncapi_lists_every_topic() -> None:
    doc = yaml.safe_load((PUBLISHED / ASYNCAPI_FILE).read_text())
    assert doc["asyncapi"] == "3.0.0"
    assert "corridorsig" in doc["info"]["description"]
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {s.name for s in CATALOGUE} <= addresses
    assert "partner.{partnerId}.inbox.v1" in addresses
    assert INBOX_TEMPLATE.name.replace("{partner_id}", "{partnerId}") in addresses
    actions = {op["action"] for op in doc["operations"].values()}
    assert actions == {"send", "receive"}
    for op in doc["operations"].values():
        channel = op["channel"]["$ref"].removeprefix("#/channels/")
        assert channel in doc["channels"]
    for message in doc["components"]["messages"].values():
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert (PUBLISHED / data_ref.removeprefix("./")).is_file()
