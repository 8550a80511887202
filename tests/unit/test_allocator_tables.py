"""A worker killed between the changelog writes of one batch leaves a prefix of them; the state
rebuilt from any prefix is the state before the batch or the state after it, never a mix, and
the partition's mark says which."""

from __future__ import annotations

from collections import Counter

import orjson

from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decide import decide
from services.allocator.domain.decisions import encode_decision
from services.allocator.store import RegionStates, entity_to_json
from services.bench.workload import Workload

P = 0  # the partition every event of these tests comes from
EVENTS = Workload(regions=("HT01",), shelters=6, alerts=9, alerts_per_tick=3).events()


class Recording(dict):
    """A table that remembers the order of its writes (as its changelog would)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[bytes, bytes | None]] = []

    def __setitem__(self, key: bytes, value: bytes) -> None:
        super().__setitem__(key, value)
        self.log.append((key, value))

    def pop(self, key, default=None):  # type: ignore[override]
        self.log.append((key, None))
        return super().pop(key, default)


def replayed(
    log: list[tuple[bytes, bytes | None]], into: dict[bytes, bytes] | None = None
) -> dict[bytes, bytes]:
    """A table rebuilt from a changelog (over ``into``: what a store kept)."""
    table = dict(into or {})
    for key, value in log:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


CONFIG = AllocatorConfig()


def handle(states: RegionStates, event, offset: int) -> list:
    """What the agent does per event: decide on the cached state, add the change to the batch."""
    state = states.get("HT01", P)
    outcome = decide(state, event, CONFIG)
    decisions = [(d.decision_id, encode_decision(d)) for d in outcome.decisions]
    states.apply(state, outcome.events, decisions, P)
    states.mark(P, offset)
    return outcome.decisions


def rebuilt(log: list[tuple[bytes, bytes | None]]) -> RegionStates:
    """A new worker over the surviving changelog, as the agent starts a partition."""
    states = RegionStates(replayed(log))
    states.settle(P)
    return states


def test_any_cut_of_a_batchs_writes_rebuilds_to_before_or_after() -> None:
    table = Recording()
    states = RegionStates(table)
    checked = 0
    for start in range(0, len(EVENTS), 4):  # batches of 4 events
        before_log = list(table.log)
        before = states.get("HT01", P).entities()
        decided = []
        for offset in range(start, min(start + 4, len(EVENTS))):
            decided += handle(states, EVENTS[offset], offset)
        after = states.get("HT01", P).entities()
        states.flush(P)
        written = table.log[len(before_log) :]
        assert Counter(k for k, _ in written).most_common(1)[0][1] == 1, "a key written twice"
        for cut in range(len(written) + 1):
            restored = rebuilt(before_log + written[:cut])
            state = restored.get("HT01", P)
            assert state.entities() == (before if cut == 0 else after), (start, cut)
            assert restored.marked(P) == (start - 1 if cut == 0 else offset) or start == cut == 0
            for decision in decided if cut else ():
                raw = restored.recorded("HT01", decision.decision_id, P)
                assert raw == encode_decision(decision)
            checked += 1
    assert checked > len(EVENTS)


def test_a_key_written_by_several_events_of_a_batch_is_written_once() -> None:
    table = Recording()
    states = RegionStates(table)
    for offset, event in enumerate(EVENTS):
        handle(states, event, offset)
    states.flush(P)
    keys = Counter(k for k, _ in table.log)
    assert keys[b"~journal|0"] == 1 and keys[b"~partition|0"] == 1
    assert max(keys.values()) == 1


def test_recorded_decisions_are_found_before_their_batch_is_written() -> None:
    """A redelivery inside the batch that decided it re-emits the decision from the batch."""
    states = RegionStates({})
    decided = []
    for offset, event in enumerate(EVENTS):
        decided += handle(states, event, offset)
    assert decided
    for decision in decided:
        assert states.recorded("HT01", decision.decision_id, P) == encode_decision(decision)


def test_rebuilt_state_decides_like_the_uninterrupted_one() -> None:
    table: dict[bytes, bytes] = {}
    live = RegionStates(table)
    for i, event in enumerate(EVENTS):
        live.flush(P)
        fresh = RegionStates(dict(table))
        fresh.settle(P)
        state = live.get("HT01", P) if i % 2 else fresh.get("HT01", P)
        outcome = decide(state, event, CONFIG)
        reference = handle(live, event, i)
        assert outcome.decisions == reference


def test_a_journal_of_one_event_from_before_batches_is_completed_and_dropped() -> None:
    """Corridor wrote one journal per event under `<region>|journal` before batches."""
    table: dict[bytes, bytes] = {}
    states = RegionStates(table)
    for offset, event in enumerate(EVENTS):
        handle(states, event, offset)
    states.flush(P)
    complete = dict(table)
    shelter = next(k for k in table if k.startswith(b"HT01|shelter|"))
    decision = next(k for k in table if k.startswith(b"HT01|decision|"))
    prefix = len(b"HT01|")
    table[b"HT01|journal"] = orjson.dumps({
        "upserts": [[shelter[prefix:].decode(), table.pop(shelter).decode()]],
        "deletes": [],
        "decisions": [[decision[prefix:].decode(), table.pop(decision).decode()]],
    })  # fmt: skip
    old = RegionStates(table)
    old.settle(P)
    assert old.get("HT01", P).entities() == RegionStates(complete).get("HT01", P).entities()
    assert b"HT01|journal" not in table and table[decision] == complete[decision]


def test_a_reservation_stored_by_an_older_corridor_loads() -> None:
    """Reservations gained household, origin and waiting time; one stored without them loads
    (size only, at its shelter, since its reservation) instead of crashing the agent."""
    events = Workload(regions=("HT01",), shelters=4, alerts=6, alerts_per_tick=3).events()
    table = Recording()
    states = RegionStates(table)
    for offset, event in enumerate(events):
        handle(states, event, offset)
    states.flush(P)
    reserved = [k for k in table if k.startswith(b"HT01|reservation|")]
    assert reserved, "the workload reserves places"
    key = reserved[0]
    old = orjson.loads(table[key])
    for field in ("household", "since", "lat", "lon"):
        old.pop(field)
    table[key] = orjson.dumps(old)
    table.pop(b"~journal|0")  # the journal would write the reservation back as it was
    restored = RegionStates(table).get("HT01", P)
    ident = key.decode().split("|", 2)[2]
    reservation = restored.reservations[ident]
    shelter = restored.shelters[reservation.shelter_id]
    assert reservation.household.size == reservation.persons and not reservation.household.needs
    assert (reservation.lat, reservation.lon) == (shelter.lat, shelter.lon)
    assert reservation.since == reservation.reserved_at
    assert entity_to_json(reservation) != table[key]  # written back in today's form on change
