"""Intake's and the allocator's consumers let the broker hold a fetch for FETCH_WAIT, not
faust's fixed 1.5 s, and read a stream partition never committed again from its beginning
when they seek to the committed offsets (services/fetching.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import faust
import pytest
from aiokafka.structs import TopicPartition

from services.fetching import FETCH_WAIT, FromTheStart, shorten_fetch_wait


def _fetch_wait_ms(app: faust.App) -> int:
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
    wait: int = consumer._fetch_max_wait_ms
    return wait


async def test_the_consumer_waits_at_most_fetch_wait() -> None:
    plain = faust.App("fetching-plain", broker="kafka://127.0.0.1:1")
    assert _fetch_wait_ms(plain) == 1500  # faust's, which the change is about

    app = faust.App("fetching-intake", broker="kafka://127.0.0.1:1")
    shorten_fetch_wait(app)
    assert _fetch_wait_ms(app) == round(FETCH_WAIT * 1000)
    assert FETCH_WAIT < 1.5


async def test_the_allocators_consumer_is_shortened(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:  # fmt: skip
    # the app's module builds its Settings when imported: no stack needed for that
    monkeypatch.setenv("CORRIDOR_KAFKA_SECURITY", "none")
    monkeypatch.setenv("CORRIDOR_STATE_DIR", str(tmp_path))
    from services.allocator.app import app

    assert _fetch_wait_ms(app) == round(FETCH_WAIT * 1000)


async def test_too_late_once_the_consumer_exists() -> None:
    app = faust.App("fetching-late", broker="kafka://127.0.0.1:1")
    assert app.consumer is not None
    with pytest.raises(RuntimeError):
        shorten_fetch_wait(app)


class _Committed:
    """faust's consumer as FromTheStart sees it: what aiokafka's seek answered, and the seeks."""

    def __init__(self, committed: dict[TopicPartition, int | None], changelogs: set[str]) -> None:
        self.committed = committed
        self.app = SimpleNamespace(tables=SimpleNamespace(changelog_topics=changelogs))
        self.to_beginning: list[TopicPartition] = []

    async def seek_to_committed(self) -> dict[TopicPartition, int | None]:
        return self.committed

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self.to_beginning.extend(partitions)


class _Consumer(FromTheStart, _Committed):  # type: ignore[misc]
    pass


async def test_stream_partitions_never_committed_are_read_again_from_their_beginning() -> None:
    """aiokafka seeks only where an offset above 0 is committed; what faust clears from the
    streams' queues when the flow resumes must be read again elsewhere too."""
    events, changelog = "ns.region.events.v1", "corridor-allocator-ns-region-state-changelog"
    committed = {
        TopicPartition(events, 0): 42,  # aiokafka sought it
        TopicPartition(events, 1): None,  # never committed
        TopicPartition(events, 2): 0,  # committed before anything was read
        TopicPartition(changelog, 1): None,  # recovery reads changelogs, not the streams
    }
    consumer = _Consumer(committed, {changelog})
    assert await consumer.seek_to_committed() == committed
    assert consumer.to_beginning == [TopicPartition(events, 1), TopicPartition(events, 2)]


async def test_every_processor_consumer_starts_unread_partitions_from_the_beginning() -> None:
    app = faust.App("fetching-seek", broker="kafka://127.0.0.1:1")
    shorten_fetch_wait(app)
    assert isinstance(app.consumer._thread, FromTheStart)  # type: ignore[attr-defined]
