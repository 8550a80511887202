"""The partner registry: who may publish what, about which shelters, vehicles and regions.

Profiles live in ``infra/registry/partners.yaml``; signing secrets never do. They come from
:func:`load_secrets` (a YAML file kept outside the repository, overridden by
``CORRIDOR_PARTNER_SECRET_<ID>`` variables) and are attached at load time: a partner without a
secret is refused.
"""

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
)

from schemas.catalogue import INGRESS_TOPICS
from schemas.types import EscalationLevel, PartnerId, PCode, Sector
from services.config import INFRA_DIR
from services.registry.errors import RegistryError
from services.registry.secrets import MIN_SECRET_LENGTH, load_secrets, read_yaml, secret_env_var

__all__ = [
    "DEFAULT_PATH",
    "PARTNER_TOPICS",
    "IdPattern",
    "Partner",
    "PartnerRegistry",
    "load_secrets",
    "secret_env_var",
]

DEFAULT_PATH = INFRA_DIR / "registry" / "partners.yaml"

INGRESS_TOPIC_NAMES = frozenset(spec.name for spec in INGRESS_TOPICS)
PARTNER_TOPICS = frozenset(spec.name for spec in INGRESS_TOPICS if "partner" in spec.writers)
"""The topics a partner may write by default (``ingress.hazard-warnings.v1`` is adapters')."""


def _ingress_topic(name: str) -> str:
    if name not in INGRESS_TOPIC_NAMES:
        raise ValueError(f"not an ingress topic: {name}")
    return name


IngressTopic = Annotated[str, AfterValidator(_ingress_topic)]
IdPattern = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9*?\[\]!._:-]{1,80}$")]
"""A shelter or vehicle id, or an fnmatch pattern of ids (``111_*``), matched case-sensitively."""


class Partner(BaseModel):
    """A partner organisation (never a person) and its signing secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partner_id: PartnerId
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    sectors: frozenset[Sector] = frozenset()
    regions: frozenset[PCode] = frozenset()
    shelters: tuple[IdPattern, ...] = ()
    vehicles: tuple[IdPattern, ...] = ()
    publishes: frozenset[IngressTopic] = PARTNER_TOPICS
    inbox: bool = True
    contact_from: EscalationLevel = EscalationLevel.L1
    """The lowest escalation level this partner is told of: L1 region partners, L2 national
    contacts, L3 system-wide ones. A partner told at one level is told at the higher ones."""
    secret: SecretStr = Field(exclude=True)

    def may_publish(self, topic: str) -> bool:
        return topic in self.publishes

    def operates_shelter(self, shelter_id: str) -> bool:
        return any(fnmatchcase(shelter_id, pattern) for pattern in self.shelters)

    def operates_vehicle(self, vehicle_id: str) -> bool:
        return any(fnmatchcase(vehicle_id, pattern) for pattern in self.vehicles)

    def covers(self, region_pcode: str) -> bool:
        return region_pcode in self.regions


class PartnerRegistry:
    """The known partners, by id."""

    def __init__(self, partners: Mapping[str, Partner]) -> None:
        self._partners = dict(partners)

    def get(self, partner_id: str) -> Partner | None:
        return self._partners.get(partner_id)

    def __contains__(self, partner_id: object) -> bool:
        return partner_id in self._partners

    def __iter__(self) -> Iterator[Partner]:
        return iter(self._partners.values())

    def __len__(self) -> int:
        return len(self._partners)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._partners)

    def subscribers(self, region_pcode: str, sector: Sector) -> tuple[Partner, ...]:
        """Partners with an inbox that work in ``sector`` in ``region_pcode``, by id."""
        return tuple(
            p for _, p in sorted(self._partners.items())
            if p.inbox and sector in p.sectors and p.covers(region_pcode)
        )  # fmt: skip

    def recipients(
        self, region_pcode: str, sector: Sector, level: EscalationLevel
    ) -> tuple[Partner, ...]:
        """Who is told of a ``level`` escalation for ``sector`` in ``region_pcode``, by id."""
        return tuple(
            p for p in self.subscribers(region_pcode, sector) if p.contact_from <= level
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path | None, secrets: Mapping[str, str]) -> "PartnerRegistry":
        """The partners in ``path`` (default: the repository's ``partners.yaml``), with secrets."""
        path = DEFAULT_PATH if path is None else path
        entries = read_yaml(path).get("partners")
        if not isinstance(entries, list):
            raise RegistryError(f"{path}: expected a 'partners' list")
        partners: dict[str, Partner] = {}
        for index, entry in enumerate(entries):
            partner = _partner(path, index, entry, secrets)
            if partner.partner_id in partners:
                raise RegistryError(f"{path}: partner {partner.partner_id} is listed twice")
            partners[partner.partner_id] = partner
        return cls(partners)


def inbox_partner_ids(path: Path | None = None) -> tuple[str, ...]:
    """Ids of the partners with an inbox in ``path`` (default: the repository's registry),
    read without their secrets: what ``corridor up`` creates inbox topics for."""
    entries = read_yaml(DEFAULT_PATH if path is None else path).get("partners")
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a 'partners' list")
    return tuple(
        sorted(
            str(e["partner_id"])
            for e in entries
            if isinstance(e, dict) and "partner_id" in e and e.get("inbox", True)
        )
    )


def _partner(path: Path, index: int, entry: Any, secrets: Mapping[str, str]) -> Partner:
    where = f"{path}: partners[{index}]"
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected a mapping")
    if "secret" in entry:
        raise RegistryError(f"{where}: secrets do not belong in the registry file")
    partner_id = entry.get("partner_id")
    secret = secrets.get(partner_id) if isinstance(partner_id, str) else None
    if secret is None:
        raise RegistryError(
            f"{where}: partner {partner_id!s:.50} has no signing secret (set "
            f"{secret_env_var(str(partner_id))} or add it to the secrets file)"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise RegistryError(
            f"{where}: the secret of {partner_id} is shorter than {MIN_SECRET_LENGTH} characters"
        )
    try:
        return Partner.model_validate({**entry, "secret": SecretStr(secret)})
    except ValidationError as exc:
        raise RegistryError(f"{where}: {exc}") from exc
