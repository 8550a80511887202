"""Who is asking, and what they may see. Pure: no I/O, no FastAPI.

Two kinds of bearer token:

* the **operator** token (``CORRIDOR_OPSCENTRE_OPERATOR_TOKEN``): sees everything;
* a **partner** token ``partner.<partner_id>.<hex>``, where ``<hex>`` is the HMAC-SHA256 of
  ``corridor-opscentre-token:v1:<partner_id>`` keyed with the partner's signing secret. It is
  derived, not stored: rotating a partner's signing secret revokes its token, and the token does
  not reveal the secret. A partner sees only its own regions, and only its own sectors where an
  endpoint is about sectors (escalations).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from services.registry.partners import PartnerRegistry

PARTNER_PREFIX = "partner."
_CONTEXT = "corridor-opscentre-token:v1:"


class Unauthenticated(Exception):
    """No token, or a token nobody issued: 401."""


class OutOfScope(Exception):
    """A valid token asking for something outside its regions or sectors: 403."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An operator (``partner_id is None``: no limits) or a partner with its regions and sectors."""

    partner_id: str | None
    regions: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()

    @property
    def is_operator(self) -> bool:
        return self.partner_id is None

    def sees_region(self, region: str) -> bool:
        return self.is_operator or region in self.regions

    def sees_sector(self, sector: str) -> bool:
        return self.is_operator or sector in self.sectors

    def sees(self, region: str, sector: str | None = None) -> bool:
        return self.sees_region(region) and (sector is None or self.sees_sector(sector))


OPERATOR = Principal(partner_id=None)


def partner_token(partner_id: str, secret: str) -> str:
    """The opscentre token of a partner, derived from its signing secret."""
    mac = hmac.new(secret.encode(), (_CONTEXT + partner_id).encode(), hashlib.sha256)
    return f"{PARTNER_PREFIX}{partner_id}.{mac.hexdigest()}"


def authenticate(token: str | None, operator_token: str, partners: PartnerRegistry) -> Principal:
    """The principal a bearer token stands for; raises :class:`Unauthenticated` otherwise."""
    if not token:
        raise Unauthenticated("missing bearer token")
    if hmac.compare_digest(token.encode(), operator_token.encode()):
        return OPERATOR
    if token.startswith(PARTNER_PREFIX):
        partner_id, _, _ = token.removeprefix(PARTNER_PREFIX).rpartition(".")
        partner = partners.get(partner_id)
        if partner is not None:
            expected = partner_token(partner_id, partner.secret.get_secret_value())
            if hmac.compare_digest(token.encode(), expected.encode()):
                return Principal(
                    partner_id=partner_id,
                    regions=frozenset(partner.regions),
                    sectors=frozenset(str(s) for s in partner.sectors),
                )
    raise Unauthenticated("unknown token")


def scope(wanted: str | None, allowed: Iterable[str] | None) -> list[str] | None:
    """Values a query may cover: ``None`` means no restriction (an operator asking for all).

    ``wanted`` is the filter asked for (one region or sector, or ``None`` for all it may see);
    ``allowed`` what the principal may see (``None``: anything). Asking for a value outside
    ``allowed`` raises :class:`OutOfScope`.
    """
    if allowed is None:
        return None if wanted is None else [wanted]
    permitted = sorted(allowed)
    if wanted is None:
        return permitted
    if wanted not in permitted:
        raise OutOfScope(f"{wanted!r} is outside this token's scope")
    return [wanted]


def region_scope(principal: Principal, region: str | None) -> list[str] | None:
    return scope(region, None if principal.is_operator else principal.regions)


def sector_scope(principal: Principal, sector: str | None) -> list[str] | None:
    return scope(sector, None if principal.is_operator else principal.sectors)
