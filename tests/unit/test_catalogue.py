"""The topic catalogue agrees with DESIGN.md §2 and with the registry."""

import pytest

from schemas.catalogue import (
    CATALOGUE,
    INBOX_TEMPLATE,
    INGRESS_TOPICS,
    REGION_EVENTS,
    REGION_KEYED,
    REGION_PARTITIONS,
    SHELTER_CAPACITY,
    inbox_spec,
    inbox_topic,
    ingress_topic_for,
    spec,
    topic_name,
)
from schemas.ingress import DisplacementAlert, ShelterCapacityReport
from schemas.outputs import AllocationDecision
from schemas.registry import MODEL_OF

DESIGN_TOPICS = {
    "ingress.displacement-alerts.v1",
    "ingress.shelter-capacity.v1",
    "ingress.transport-availability.v1",
    "ingress.allocation-feedback.v1",
    "ingress.hazard-warnings.v1",
    "ingress.escalation-acks.v1",
    "ingress.alert-confirmations.v1",  # added by issue 11 (docs/architecture.md, Oversized alerts)
    "ingress.rejected.v1",
    "region.events.v1",
    "allocation.decisions.v1",
    "escalation.events.v1",
}


def test_every_design_topic_is_catalogued_once() -> None:
    names = [s.name for s in CATALOGUE]
    assert sorted(names) == sorted(DESIGN_TOPICS)


def test_value_types_are_registered() -> None:
    for topic in (*CATALOGUE, INBOX_TEMPLATE):
        assert topic.value_types
        assert set(topic.value_types) <= set(MODEL_OF), topic.name


def test_region_keyed_topics_are_co_partitioned() -> None:
    assert {s.partitions for s in (*REGION_KEYED, inbox_spec("acme"))} == {REGION_PARTITIONS}
    assert REGION_PARTITIONS == 12


def test_retention() -> None:
    week = 7 * 24 * 3600 * 1000
    assert all(s.retention_ms == week and s.partitions == 3 for s in INGRESS_TOPICS)
    assert spec("ingress.rejected.v1").retention_ms == week
    assert REGION_EVENTS.retention_ms is None
    assert REGION_EVENTS.kafka_config() == {"cleanup.policy": "delete", "retention.ms": "-1"}


def test_only_intake_writes_region_keyed_topics_it_owns() -> None:
    assert REGION_EVENTS.writers == {"intake"}
    assert spec("ingress.rejected.v1").writers == {"intake"}
    assert spec("ingress.hazard-warnings.v1").writers == {"adapter"}
    assert "partner" in SHELTER_CAPACITY.writers


def test_inbox_template() -> None:
    assert inbox_topic("acme-ngo") == "partner.acme-ngo.inbox.v1"
    assert spec("partner.acme-ngo.inbox.v1") == inbox_spec("acme-ngo")
    assert inbox_spec("acme-ngo").writers == {"escalator"}
    with pytest.raises(ValueError, match="invalid partner id"):
        inbox_topic("Acme NGO")
    with pytest.raises(KeyError):
        spec("partner.Acme.inbox.v1")


def test_topic_name_namespaces() -> None:
    assert topic_name(REGION_EVENTS) == "region.events.v1"
    assert topic_name("region.events.v1", "t-42") == "t-42.region.events.v1"
    assert topic_name(REGION_EVENTS, namespace="t-42") == "t-42.region.events.v1"


def test_ingress_topic_of_a_payload() -> None:
    assert ingress_topic_for(ShelterCapacityReport) is SHELTER_CAPACITY
    assert ingress_topic_for("org.corridor.displacement.alert.v1") == spec(
        "ingress.displacement-alerts.v1"
    )
    assert ingress_topic_for(DisplacementAlert) is not SHELTER_CAPACITY
    assert ingress_topic_for(AllocationDecision) is None
    assert ingress_topic_for("org.example.unknown.v1") is None
