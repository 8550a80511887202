"""Whether an event's changes may let a waitlisted household fit where it did not."""

from schemas.types import Service
from services.allocator.domain.entities import SEP, Entity, Reservation, Shelter
from services.allocator.domain.state import RegionState, StateDelta, places_available


def places_appeared(state: RegionState, delta: StateDelta) -> bool:
    """Whether the changes may let a household fit where it did not: a shelter offering more
    places (reported, or reservations deleted), or one that appeared, moved, changed services or
    closed (the last two change why waitlisted households wait, so the waitlist is served again).
    """
    upserts: dict[str, Entity] = {e.key: e for e in delta.upserts}
    touched: set[str] = set()
    freed: dict[str, int] = {}
    for key in delta.deletes:
        kind, ident = key.split(SEP, 1)
        if kind == Reservation.kind and ident in state.reservations:
            r = state.reservations[ident]
            freed[r.shelter_id] = freed.get(r.shelter_id, 0) + r.persons
        elif kind == Shelter.kind:
            touched.add(ident)
    for entity in upserts.values():
        if isinstance(entity, Shelter):
            touched.add(entity.shelter_id)
        elif isinstance(entity, Reservation):
            old = state.reservations.get(entity.ident)
            if old is not None:
                freed[old.shelter_id] = freed.get(old.shelter_id, 0) + old.persons
            freed[entity.shelter_id] = freed.get(entity.shelter_id, 0) - entity.persons
    for sid in sorted(touched | freed.keys()):
        before = state.shelters.get(sid)
        after = before
        if sid in touched:
            upsert = upserts.get(f"{Shelter.kind}{SEP}{sid}")
            after = upsert if isinstance(upsert, Shelter) else None
        if _where(before) != _where(after):
            return True
        held = state.held.get(sid, 0) - freed.get(sid, 0)
        if places_available(after, held) > state.available(sid):
            return True
    return False


def _where(shelter: Shelter | None) -> tuple[float, float, frozenset[Service]] | None:
    if shelter is None or not shelter.usable:
        return None
    return shelter.lat, shelter.lon, shelter.services
