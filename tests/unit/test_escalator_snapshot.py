"""An escalator worker's snapshot (services/escalator/snapshot.py): folding on from a snapshot
publishes what folding on without one publishes, and an unusable snapshot is not used."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.allocator.domain import AllocatorConfig
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.routing import RegistryRouting
from services.escalator.replay import encoded, replay
from services.escalator.snapshot import Snapshots, fingerprint
from services.escalator.store import Folds
from services.registry.partners import PartnerRegistry, load_secrets
from tests import TEST_SECRETS
from tests import escalation_scenario as scenario

EVENTS = scenario.events()
PARTNERS = PartnerRegistry.load(None, load_secrets(TEST_SECRETS, {}))


def folds() -> Folds:
    return Folds(EscalatorConfig(), AllocatorConfig(), RegistryRouting(PARTNERS))


def inboxes(partner_id: str) -> object:
    partner = PARTNERS.get(partner_id)
    return None if partner is None or not partner.inbox else partner.operates_shelter


@pytest.mark.parametrize("cut", range(0, len(EVENTS) + 1, 2))
def test_folding_on_from_a_snapshot_publishes_the_same(tmp_path: Path, cut: int) -> None:
    snapshots = Snapshots(tmp_path, "region.events.v1", "code")
    straight = folds()
    replay(EVENTS[:cut], straight, inboxes)  # type: ignore[arg-type]
    snapshots.save(0, cut, straight.export(0))
    found = snapshots.load(0, committed=cut)
    assert found is not None and found[0] == cut
    restored = folds()
    restored.restore(0, found[1])
    rest = EVENTS[cut:]
    assert encoded(replay(rest, restored, inboxes)) == encoded(replay(rest, straight, inboxes))  # type: ignore[arg-type]
    for region in ("HT01", "HT03"):
        assert restored.get(region) == straight.get(region)


def test_an_unusable_snapshot_is_not_used(tmp_path: Path) -> None:
    written = folds()
    replay(EVENTS[:10], written, inboxes)  # type: ignore[arg-type]
    Snapshots(tmp_path, "t", "code").save(3, 10, written.export(0))
    assert Snapshots(tmp_path, "t", "code").load(3, committed=10) is not None
    other_code = Snapshots(tmp_path, "t", "other code")
    assert other_code.load(3, committed=10) is None
    assert other_code.reason == "written by other code, settings or registry"
    past = Snapshots(tmp_path, "t", "code")
    assert past.load(3, committed=9) is None and past.reason.startswith("past the committed")
    assert past.load(4, committed=10) is None and past.reason == "none"  # no file
    damaged = tmp_path / "t-3.snapshot"
    damaged.write_bytes(damaged.read_bytes()[:200])
    assert past.load(3, committed=10) is None and past.reason.startswith("unreadable")


def test_the_fingerprint_follows_the_settings_and_the_registry(tmp_path: Path) -> None:
    registry = tmp_path / "partners.yaml"
    registry.write_text("a")
    before = fingerprint(EscalatorConfig(), files=(registry,))
    assert fingerprint(EscalatorConfig(), files=(registry,)) == before
    registry.write_text("b")
    assert fingerprint(EscalatorConfig(), files=(registry,)) != before
    assert fingerprint(EscalatorConfig(), AllocatorConfig(), files=(registry,)) != before


def test_a_snapshot_that_cannot_be_written_does_not_stop_the_worker(tmp_path: Path) -> None:
    """A snapshot is a cache: a full disk or a missing folder is a warning, and the worker goes
    on escalating (services/escalator/agents.py)."""
    from services.escalator.agents import Worker

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    worker = Worker(consumer=None, producer=None)  # type: ignore[arg-type]  # not used by save
    worker.snapshots = Snapshots(blocked / "escalator", "t", "code")
    replay(EVENTS[:4], worker.folds, inboxes)  # type: ignore[arg-type]
    worker.position[0], worker.committed[0] = 4, 4
    worker.save(0, [0])  # NotADirectoryError inside: logged, not raised
    assert not (blocked / "escalator").exists()
    worker.snapshots = Snapshots(tmp_path / "ok", "t", "code")
    worker.save(0, [0])
    assert worker.snapshots.load(0, committed=4) is not None
