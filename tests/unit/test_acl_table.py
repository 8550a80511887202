"""The ACLs the broker gets are generated from the catalogue and the registry; the table in
docs/architecture.md is that table (`corridor status` compares the broker's with it)."""

from __future__ import annotations

from schemas.catalogue import inbox_topic
from services.config import PROJECT_ROOT
from services.stack import acls
from services.stack.acls import READ, WRITE, Acl

TABLE = acls.table(acls.registry_access())


def allowed(principal: str, operation: int, topic: str) -> bool:
    return any(
        a.principal == principal and a.operation in (operation, acls.ALL)
        and (a.name == topic if a.pattern == acls.LITERAL else topic.startswith(a.name))
        for a in TABLE if a.resource == acls.TOPIC
    )  # fmt: skip


def test_docs_show_the_generated_table() -> None:
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text()
    shown = text.split("<!-- acl-table:start -->")[1].split("<!-- acl-table:end -->")[0]
    assert shown.strip() == acls.markdown(TABLE)


def test_only_intake_writes_the_region_log_and_only_the_allocator_decisions() -> None:
    writers = {a.principal for a in TABLE if a.operation == WRITE and a.resource == acls.TOPIC}
    assert [p for p in writers if allowed(p, WRITE, "region.events.v1")] == ["intake"]
    assert [p for p in writers if allowed(p, WRITE, "allocation.decisions.v1")] == ["allocator"]
    assert [p for p in writers if allowed(p, WRITE, "escalation.events.v1")] == ["escalator"]


def test_partners_write_only_their_ingress_topics_and_read_only_their_inbox() -> None:
    for partner in acls.registry_access():
        for acl in TABLE:
            if acl.principal != partner.partner_id or acl.resource != acls.TOPIC:
                continue
            if acl.operation == WRITE:
                assert acl.name in partner.publishes, acl.describe()
            else:
                assert acl == Acl(partner.partner_id, acls.TOPIC, inbox_topic(partner.partner_id),
                                  acls.LITERAL, READ)  # fmt: skip
    assert not allowed("dpc-ht", READ, "ingress.displacement-alerts.v1")
    assert not allowed("dpc-ht", READ, "ingress.rejected.v1")
    assert not allowed("cap-adapter", READ, inbox_topic("dpc-ht"))


def test_a_namespace_prefixes_every_topic() -> None:
    spaced = acls.table(acls.registry_access(), "t123")
    assert all(a.name.startswith(("t123.", "corridor-")) or a.resource == acls.GROUP
               for a in spaced)  # fmt: skip
    assert len(spaced) == len(TABLE)


def test_the_opscentre_describes_the_processors_inputs_and_reads_only_the_outputs() -> None:
    ops = [a for a in TABLE if a.principal == "opscentre"]
    assert {a.name for a in ops if a.operation == READ} == {
        "allocation.decisions.v1", "escalation.events.v1"}  # fmt: skip
    described = {a.name for a in ops if a.operation == acls.DESCRIBE and a.resource == acls.TOPIC}
    assert {"region.events.v1", "ingress.displacement-alerts.v1", "intake.admitted.v1"} <= described
    assert not allowed("opscentre", READ, "region.events.v1")
    assert not allowed("opscentre", READ, "ingress.displacement-alerts.v1")
    groups = {a.name for a in ops if a.resource == acls.GROUP}
    assert groups == {f"corridor-{p}" for p in ("intake", "allocator", "escalator", "ledger")}
    assert all(a.operation == acls.DESCRIBE for a in ops if a.resource == acls.GROUP)
