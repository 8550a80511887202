"""The allocator worker's garbage collection policy (services/gcpolicy.py): survivors of a full
collection are frozen; a refresh unfreezes, collects everything and freezes again, and finds the
cyclic garbage that freezing kept. No timing asserted."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

from services.gcpolicy import FULL_AFTER, GcPolicy


class FakeCollector:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[str, dict[str, Any]], None]] = []
        self.calls: list[str] = []
        self.frozen = 0
        self.tracked = 10
        self.thresholds: tuple[int, ...] = (700, 10, 10)

    def freeze(self) -> None:
        self.calls.append("freeze")
        self.frozen, self.tracked = self.frozen + self.tracked, 0

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")
        self.frozen, self.tracked = 0, self.tracked + self.frozen

    def collect(self, generation: int = 2) -> int:
        self.calls.append(f"collect {generation}")
        found, self.tracked = 3, self.tracked - 3
        for callback in self.callbacks:
            callback("start", {"generation": generation})
        for callback in self.callbacks:
            callback("stop", {"generation": generation, "collected": found})
        return found

    def get_freeze_count(self) -> int:
        return self.frozen

    def get_threshold(self) -> tuple[int, ...]:
        return self.thresholds

    def set_threshold(self, young: int, older: int = 10, oldest: int = 10, /) -> None:
        self.thresholds = (young, older, oldest)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_only_the_end_of_a_full_collection_freezes() -> None:
    fake = FakeCollector()
    policy = GcPolicy(collector=fake)
    policy.install()
    policy.install()  # once only
    assert len(fake.callbacks) == 1
    for generation in (0, 1):
        fake.callbacks[0]("start", {"generation": generation})
        fake.callbacks[0]("stop", {"generation": generation})
    fake.callbacks[0]("start", {"generation": 2})
    assert fake.calls == [] and policy.freezes == 0
    fake.callbacks[0]("stop", {"generation": 2})
    assert fake.calls == ["freeze"] and policy.freezes == 1


def test_a_refresh_is_due_after_its_period_and_collects_everything() -> None:
    fake, clock = FakeCollector(), Clock()
    policy = GcPolicy(refresh_every=300.0, collector=fake, clock=clock)
    policy.install()
    fake.freeze()
    fake.tracked = 4
    clock.now += 299.0
    assert not policy.due()
    clock.now += 1.0
    assert policy.due()
    done = policy.refresh()
    assert fake.calls == ["freeze", "unfreeze", "collect 2", "freeze"]
    assert (done.frozen_before, done.found, done.frozen_after) == (10, 3, 11)
    assert policy.refreshes == [done]
    assert not policy.due()  # the period starts again


def test_full_collections_come_after_fewer_young_ones_while_installed() -> None:
    fake = FakeCollector()
    policy = GcPolicy(collector=fake)
    policy.install()
    policy.install()
    assert fake.thresholds == (700, 10, FULL_AFTER)
    policy.uninstall()
    assert fake.thresholds == (700, 10, 10)


def test_uninstall_hands_the_frozen_objects_back() -> None:
    fake = FakeCollector()
    policy = GcPolicy(collector=fake)
    policy.install()
    fake.freeze()
    policy.uninstall()
    assert fake.callbacks == [] and fake.frozen == 0
    policy.refresh()  # not installed: still freezes the survivors
    assert fake.calls[-1] == "freeze"


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_frozen_cyclic_garbage_is_kept_until_the_refresh_finds_it() -> None:
    """The leak the policy bounds, on CPython's collector: a cycle that survived a full
    collection is frozen; once unreachable, later full collections do not free it; the refresh
    does."""
    policy = GcPolicy()
    gc.collect()
    policy.install()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        gc.collect()  # a and b survive it: frozen
        assert gc.get_freeze_count() > 0 and policy.freezes >= 1
        del a, b
        gc.collect()
        assert gone() is not None  # frozen: not collected
        done = policy.refresh()
        assert gone() is None
        assert done.found >= 2 and done.frozen_after > 0
    finally:
        policy.uninstall()
    assert gc.get_freeze_count() == 0
