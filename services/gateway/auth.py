"""Which partner is posting: the opscentre's partner token, derived from the partner's signing
secret (``services/opscentre/auth.py``). The gateway has no operator: an operator does not
publish partner events."""

from __future__ import annotations

from services.opscentre.auth import Unauthenticated, authenticate
from services.registry.partners import PartnerRegistry

NO_OPERATOR = ""
"""An operator token no bearer token can equal: authenticate() refuses empty tokens first."""


def partner_of(token: str | None, partners: PartnerRegistry) -> str:
    """The partner id of a partner token; raises :class:`Unauthenticated` otherwise."""
    principal = authenticate(token, NO_OPERATOR, partners)
    if principal.partner_id is None:  # pragma: no cover - NO_OPERATOR matches no token
        raise Unauthenticated("the gateway takes partner tokens only")
    return principal.partner_id


__all__ = ["Unauthenticated", "partner_of"]
