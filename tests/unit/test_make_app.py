"""What `services.streams.make_app` gives every processor's App (and the Corridor-settings agent
of `corridor bench allocator`): the shortened fetch wait, and a consumer that reads a stream
partition never committed again from its beginning when it seeks (services/fetching.py)."""

from __future__ import annotations

from pathlib import Path

import faust
import pytest

from services.fetching import FETCH_WAIT, FromTheStart


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> faust.App:
    monkeypatch.setenv("CORRIDOR_KAFKA_SECURITY", "none")
    monkeypatch.setenv("CORRIDOR_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("CORRIDOR_GROUP_INSTANCE_ID", "none")
    from services.config import Settings
    from services.streams import make_app

    return make_app("make-app-test", Settings())


async def test_its_consumer_waits_at_most_fetch_wait(app: faust.App) -> None:
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
    assert consumer._fetch_max_wait_ms == round(FETCH_WAIT * 1000)


def test_its_consumer_reads_unread_partitions_from_the_beginning(app: faust.App) -> None:
    assert isinstance(app.consumer._thread, FromTheStart)  # type: ignore[attr-defined]
