"""Who is told: the partner registry's regions, sectors and levels, seen by the pure core."""

from collections.abc import Iterable
from typing import Protocol

from schemas.types import EscalationLevel, Sector
from services.registry.partners import PartnerRegistry


class Routing(Protocol):
    def recipients(self, region: str, sector: Sector, level: EscalationLevel) -> tuple[str, ...]:
        """Partners told of a ``level`` escalation for ``sector`` in ``region``, by id."""
        ...

    def operators(self, shelter_ids: Iterable[str]) -> tuple[str, ...]:
        """Partners (with an inbox) operating any of these shelters, by id."""
        ...

    def covered(self, region: str, sector: Sector) -> bool:
        """Whether a region partner (L1) of ``sector`` works in ``region``."""
        ...

    def confirmers(self, region: str) -> tuple[str, ...]:
        """Partners (with an inbox) that may confirm held alerts of ``region``, by id."""
        ...


class RegistryRouting:
    """:class:`Routing` over a :class:`PartnerRegistry`."""

    def __init__(self, registry: PartnerRegistry) -> None:
        self._registry = registry

    def recipients(self, region: str, sector: Sector, level: EscalationLevel) -> tuple[str, ...]:
        return tuple(p.partner_id for p in self._registry.recipients(region, sector, level))

    def operators(self, shelter_ids: Iterable[str]) -> tuple[str, ...]:
        wanted = tuple(shelter_ids)
        return tuple(
            sorted(
                p.partner_id
                for p in self._registry
                if p.inbox and any(p.operates_shelter(s) for s in wanted)
            )
        )

    def covered(self, region: str, sector: Sector) -> bool:
        return bool(self._registry.recipients(region, sector, EscalationLevel.L1))

    def confirmers(self, region: str) -> tuple[str, ...]:
        return tuple(p.partner_id for p in self._registry.confirmers(region))
