"""Intake's and the allocator's consumers let the broker hold a fetch for FETCH_WAIT, not
faust's fixed 1.5 s (services/fetching.py)."""

from __future__ import annotations

from pathlib import Path

import faust
import pytest

from services.fetching import FETCH_WAIT, shorten_fetch_wait


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
