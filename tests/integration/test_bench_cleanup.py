"""A benchmark's namespace goes when the bench ends: its ACLs and topics (`corridor status`
compares the stack's own ACLs, and would report every bench's as unexpected)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from services.stack import acls, topics
from services.stack.local import discard_benches, prepare

pytestmark = pytest.mark.skipif(
    os.environ.get("CORRIDOR_TEST_KAFKA_BOOTSTRAP") is not None,
    reason="an external test broker is taken as an open one",
)


async def test_discard_benches_removes_their_acls_and_topics_only(
    kafka_bootstrap: str, namespace: str
) -> None:
    bench = f"bench{uuid.uuid4().hex[:8]}"
    await prepare(kafka_bootstrap, namespace)  # someone else's: stays
    await prepare(kafka_bootstrap, bench)
    access = acls.registry_access()
    theirs = set(acls.table(access, bench)) - set(acls.table(access, ""))
    kept = set(acls.table(access, namespace))
    assert theirs <= await acls.current(kafka_bootstrap)

    revoked, deleted = await discard_benches(kafka_bootstrap, namespace)

    now = await acls.current(kafka_bootstrap)
    assert revoked >= len(theirs) and not theirs & now
    assert kept <= now
    assert deleted and all(name.startswith("bench") for name in deleted)
    for _ in range(60):  # the broker deletes topics in the background
        left = await topics.describe(kafka_bootstrap, deleted)
        if not left:
            break
        await asyncio.sleep(0.5)
    assert not left
