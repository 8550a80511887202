"""Who may do what on the broker: the ACL table, generated from the topic catalogue's writers
and readers and the partner registry, applied by `corridor up` and checked by `corridor status`.

Kafka's StandardAuthorizer allows nothing without an ACL (allow.everyone.if.no.acl.found=false).
Only the super users (admin, broker, controller) create, alter or delete topics, except that a
faust processor manages its own internal topics (changelogs), named with its app id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.catalogue import (
    ALLOCATION_DECISIONS,
    ESCALATION_EVENTS,
    INGRESS_REJECTED,
    INGRESS_TOPICS,
    REGION_EVENTS,
    inbox_topic,
    topic_name,
)
from services.config import processor_id
from services.stack.credentials import OPERATOR
from services.stack.errors import StackError

# Kafka's codes (org.apache.kafka.common.acl / resource)
TOPIC, GROUP = 2, 3
LITERAL, PREFIXED = 3, 4
ALL, READ, WRITE, DESCRIBE = 2, 3, 4, 8
ALLOW = 3
OPERATIONS = {ALL: "All", READ: "Read", WRITE: "Write", DESCRIBE: "Describe"}
RESOURCES = {TOPIC: "topic", GROUP: "group"}


@dataclass(frozen=True, order=True)
class Acl:
    principal: str  # without "User:"
    resource: int
    name: str
    pattern: int
    operation: int

    def describe(self) -> str:
        star = "*" if self.pattern == PREFIXED else ""
        return (f"{self.principal}: {OPERATIONS[self.operation]} {RESOURCES[self.resource]}"
                f" {self.name}{star}")  # fmt: skip


@dataclass(frozen=True)
class PartnerAccess:
    """What the registry says of a partner's broker access."""

    partner_id: str
    publishes: frozenset[str]
    inbox: bool


READERS: dict[str, tuple[str, ...]] = {
    INGRESS_REJECTED.name: ("ledger", OPERATOR),
    REGION_EVENTS.name: ("allocator", "escalator", "ledger", OPERATOR),
    ALLOCATION_DECISIONS.name: ("ledger", "opscentre", OPERATOR),
    ESCALATION_EVENTS.name: ("ledger", "opscentre", OPERATOR),
}
"""Who reads Corridor's own topics (ingress topics: intake alone)."""

WRITERS: dict[str, str] = {
    INGRESS_REJECTED.name: "intake",
    REGION_EVENTS.name: "intake",
    ALLOCATION_DECISIONS.name: "allocator",
    ESCALATION_EVENTS.name: "escalator",
}
FAUST = ("intake", "allocator")  # processors with faust-managed internal topics
GROUPS = ("intake", "allocator", "escalator", "ledger")


def table(partners: Iterable[PartnerAccess], namespace: str = "") -> list[Acl]:
    """Every ACL of a Corridor cluster, sorted."""

    def topic(principal: str, name: str, operation: int) -> Acl:
        return Acl(principal, TOPIC, topic_name(name, namespace), LITERAL, operation)

    acls: set[Acl] = set()
    for spec in INGRESS_TOPICS:
        acls.add(topic("intake", spec.name, READ))
        acls.add(topic("gateway", spec.name, WRITE))  # on behalf of partners, screened first
    acls.add(topic("intake", "intake.admitted.v1", READ))
    acls.add(topic("intake", "intake.admitted.v1", WRITE))
    for name, writer in WRITERS.items():
        acls.add(topic(writer, name, WRITE))
        acls.update(topic(reader, name, READ) for reader in READERS[name])
    for partner in partners:
        acls.update(topic(partner.partner_id, t, WRITE) for t in sorted(partner.publishes))
        if partner.inbox:
            inbox = inbox_topic(partner.partner_id)
            acls.add(topic(partner.partner_id, inbox, READ))
            acls.add(topic("escalator", inbox, WRITE))
            acls.add(topic(OPERATOR, inbox, READ))
        # a partner's own consumer groups: "<partner_id>." and anything after it
        acls.add(Acl(partner.partner_id, GROUP, f"{partner.partner_id}.", PREFIXED, READ))
    for service in FAUST:
        acls.add(Acl(service, TOPIC, processor_id(service, namespace), PREFIXED, ALL))
    for service in GROUPS:
        acls.add(Acl(service, GROUP, processor_id(service, namespace), PREFIXED, READ))
    acls.add(Acl(OPERATOR, GROUP, f"{OPERATOR}.", PREFIXED, READ))
    # the opscentre shows how far behind each processor is (services/stack/backlog.py): it may
    # describe their groups and the topics they read (offsets, ends), never read those records
    inputs = {a.name for a in acls if a.principal in GROUPS and a.resource == TOPIC
              and a.pattern == LITERAL and a.operation == READ}  # fmt: skip
    readable = {a.name for a in acls if a.principal == "opscentre" and a.operation == READ}
    acls.update(Acl("opscentre", TOPIC, name, LITERAL, DESCRIBE) for name in inputs - readable)
    for service in GROUPS:
        acls.add(Acl("opscentre", GROUP, processor_id(service, namespace), PREFIXED, DESCRIBE))
    return sorted(acls)


async def _admin(bootstrap: str) -> Any:
    from aiokafka.admin import AIOKafkaAdminClient

    from services.kafka_access import connect
    from services.stack.credentials import ADMIN

    admin = AIOKafkaAdminClient(**connect(bootstrap, principal=ADMIN), request_timeout_ms=30000)
    await admin.start()
    return admin


async def current(bootstrap: str) -> set[Acl]:
    """The broker's ALLOW ACLs (any principal, resource and pattern)."""
    from aiokafka.protocol.admin import DescribeAclsRequest

    admin = await _admin(bootstrap)
    try:
        any_ = 1
        response = await admin._send_request(  # aiokafka has the protocol, not the method
            DescribeAclsRequest(any_, None, any_, None, None, any_, any_)
        )
        if response.error_code:
            raise StackError(f"describing ACLs failed: {response.error_message}")
        found: set[Acl] = set()
        for resource_type, name, pattern, entries in response.resources:
            for principal, _host, operation, permission in entries:
                if permission == ALLOW and principal.startswith("User:"):
                    found.add(Acl(principal[5:], resource_type, name, pattern, operation))
        return found
    finally:
        await admin.close()


async def ensure(bootstrap: str, wanted: Iterable[Acl]) -> list[Acl]:
    """Create the ACLs the broker lacks; returns them. (Extra ACLs are reported by ``status``.)"""
    from aiokafka.protocol.admin import CreateAclsRequest

    missing = sorted(set(wanted) - await current(bootstrap))
    if not missing:
        return []
    admin = await _admin(bootstrap)
    try:
        for acl in missing:
            response = await admin._send_request(
                CreateAclsRequest(
                    acl.resource,
                    acl.name,
                    acl.pattern,
                    f"User:{acl.principal}",
                    "*",
                    acl.operation,
                    ALLOW,
                )
            )
            for error_code, message in response.creation_responses:
                if error_code:
                    raise StackError(f"creating ACL {acl.describe()} failed: {message}")
    finally:
        await admin.close()
    await _visible(bootstrap, set(missing))
    return missing


async def _visible(bootstrap: str, created: set[Acl], within: float = 15.0) -> None:
    """Wait until the broker describes the ACLs just created: the controller applies them a
    moment later, and a worker started at once (`corridor run` right after `up`), or `corridor
    status`, would otherwise meet the old table."""
    deadline = asyncio.get_running_loop().time() + within
    while not created <= await current(bootstrap):
        if asyncio.get_running_loop().time() > deadline:
            raise StackError(f"{len(created)} ACLs created but not visible after {within:g} s")
        await asyncio.sleep(0.1)


async def revoke(bootstrap: str, acls: Iterable[Acl]) -> int:
    """Delete these ALLOW ACLs (a benchmark's namespace when it is done); returns how many."""
    from aiokafka.protocol.admin import DeleteAclsRequest

    gone = 0
    admin = await _admin(bootstrap)
    try:
        for acl in acls:
            principal = f"User:{acl.principal}"
            request = DeleteAclsRequest(
                acl.resource, acl.name, acl.pattern, principal, "*", acl.operation, ALLOW
            )
            response = await admin._send_request(request)
            for error_code, message, matches in response.filter_responses:
                if error_code:
                    raise StackError(f"deleting ACL {acl.describe()} failed: {message}")
                gone += len(matches)
    finally:
        await admin.close()
    return gone


def registry_access(partners_file: Path | None = None) -> list[PartnerAccess]:
    """Every partner of the registry, as the broker must know it (no secrets needed)."""
    from services.registry.partners import DEFAULT_PATH, publishes_of
    from services.registry.secrets import read_yaml

    path = partners_file or DEFAULT_PATH
    found = []
    for entry in read_yaml(path).get("partners") or []:
        publishes = publishes_of(entry)
        found.append(PartnerAccess(str(entry["partner_id"]), publishes, entry.get("inbox", True)))
    return found


def markdown(acls: Iterable[Acl]) -> str:
    """The ACL table as docs/architecture.md shows it: one row per principal and resource."""
    rows: dict[tuple[str, str], list[str]] = {}
    for acl in sorted(acls):
        where = f"{RESOURCES[acl.resource]} `{acl.name}{'*' if acl.pattern == PREFIXED else ''}`"
        rows.setdefault((acl.principal, where), []).append(OPERATIONS[acl.operation])
    lines = ["| principal | resource | operations |", "|---|---|---|"]
    lines += [
        f"| {who} | {where} | {', '.join(ops)} |" for (who, where), ops in sorted(rows.items())
    ]
    return "\n".join(lines)
