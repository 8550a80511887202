"""A worker killed between the changelog writes of one event leaves a prefix of them; the state
rebuilt from any prefix is the state before the event or the state after it, never a mix."""

from __future__ import annotations

from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decide import decide
from services.allocator.domain.decisions import encode_decision
from services.allocator.store import RegionStates
from services.bench.workload import Workload


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


def replayed(log: list[tuple[bytes, bytes | None]]) -> dict[bytes, bytes]:
    table: dict[bytes, bytes] = {}
    for key, value in log:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


def test_any_cut_of_an_events_writes_rebuilds_to_before_or_after() -> None:
    events = Workload(regions=("HT01",), shelters=6, alerts=9, alerts_per_tick=3).events()
    config = AllocatorConfig()
    table = Recording()
    states = RegionStates(table)
    checked = 0
    for event in events:
        before_log = list(table.log)
        state = states.get("HT01")
        before = state.entities()
        outcome = decide(state, event, config)
        after_state = states.apply(
            state, outcome.events, [(d.decision_id, encode_decision(d)) for d in outcome.decisions]
        )
        written = table.log[len(before_log) :]
        for cut in range(len(written) + 1):
            rebuilt = RegionStates(replayed(before_log + written[:cut])).get("HT01")
            expected = before if cut == 0 else after_state.entities()
            assert rebuilt.entities() == expected, (event.event_id, cut, len(written))
            if cut and outcome.decisions:
                restored = RegionStates(replayed(before_log + written[:cut]))
                restored.get("HT01")  # as the agent does before looking up recorded decisions
                for decision in outcome.decisions:
                    assert restored.recorded("HT01", decision.decision_id) == encode_decision(
                        decision
                    )
            checked += 1
    assert checked > len(events)


def test_rebuilt_state_decides_like_the_uninterrupted_one() -> None:
    events = Workload(regions=("HT01",), shelters=6, alerts=9, alerts_per_tick=3).events()
    config = AllocatorConfig()
    table: dict[bytes, bytes] = {}
    live = RegionStates(table)
    for i, event in enumerate(events):
        state = live.get("HT01") if i % 2 else RegionStates(dict(table)).get("HT01")
        outcome = decide(state, event, config)
        reference = decide(live.get("HT01"), event, config)
        assert outcome.decisions == reference.decisions
        live.apply(
            live.get("HT01"), reference.events,
            [(d.decision_id, encode_decision(d)) for d in reference.decisions],
        )  # fmt: skip


def test_a_reservation_stored_by_an_older_corridor_loads() -> None:
    """Reservations gained household, origin and waiting time; one stored without them loads
    (size only, at its shelter, since its reservation) instead of crashing the agent."""
    import orjson

    from services.allocator.store import entity_to_json

    events = Workload(regions=("HT01",), shelters=4, alerts=6, alerts_per_tick=3).events()
    table = Recording()
    states = RegionStates(table)
    config = AllocatorConfig()
    for event in events:
        state = states.get("HT01")
        outcome = decide(state, event, config)
        states.apply(state, outcome.events, [(d.decision_id, encode_decision(d))
                                             for d in outcome.decisions])  # fmt: skip
    reserved = [k for k in table if k.startswith(b"HT01|reservation|")]
    assert reserved, "the workload reserves places"
    key = reserved[0]
    old = orjson.loads(table[key])
    for field in ("household", "since", "lat", "lon"):
        old.pop(field)
    table[key] = orjson.dumps(old)
    rebuilt = RegionStates(table).get("HT01")
    ident = key.decode().split("|", 2)[2]
    reservation = rebuilt.reservations[ident]
    shelter = rebuilt.shelters[reservation.shelter_id]
    assert reservation.household.size == reservation.persons and not reservation.household.needs
    assert (reservation.lat, reservation.lon) == (shelter.lat, shelter.lon)
    assert reservation.since == reservation.reserved_at
    assert entity_to_json(reservation) != table[key]  # written back in today's form on change
