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
    model_validator,
)

from schemas.catalogue import ALERT_CONFIRMATIONS, INGRESS_TOPICS
from schemas.types import MAX_PLACES, EscalationLevel, PartnerId, PCode, Sector
from services.config import INFRA_DIR
from services.registry.errors import RegistryError
from services.registry.secrets import MIN_SECRET_LENGTH, load_secrets, read_yaml, secret_env_var

__all__ = [
    "DEFAULT_CONFIRM_ABOVE",
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
PARTNER_TOPICS = frozenset(
    spec.name
    for spec in INGRESS_TOPICS
    if "partner" in spec.writers and spec is not ALERT_CONFIRMATIONS
)
"""The topics a partner may write by default (``ingress.hazard-warnings.v1`` is adapters';
``ingress.alert-confirmations.v1`` comes with ``confirms: true`` alone)."""

DEFAULT_CONFIRM_ABOVE = 500
"""People per alert above which an alert is held for confirmation, unless the registry file
(top-level ``confirm_above``) or the partner's entry says otherwise."""

ConfirmAbove = Annotated[int, Field(strict=True, ge=1, le=MAX_PLACES)]


def publishes_of(entry: Mapping[str, Any]) -> frozenset[str]:
    """The topics a registry entry may write: its ``publishes`` (default: every partner topic),
    plus ``ingress.alert-confirmations.v1`` when it ``confirms``."""
    publishes = frozenset(entry.get("publishes", PARTNER_TOPICS))
    return publishes | {ALERT_CONFIRMATIONS.name} if entry.get("confirms") is True else publishes


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
    confirm_above: ConfirmAbove = DEFAULT_CONFIRM_ABOVE
    """An alert of this partner with more people than this is admitted but held until a
    confirming partner answers (the registry's top-level ``confirm_above`` by default)."""
    confirms: bool = False
    """May confirm or reject held alerts in its regions (never its own alone):
    ``ingress.alert-confirmations.v1`` is added to what it publishes."""
    secret: SecretStr = Field(exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _confirmations_topic(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        listed = frozenset(data.get("publishes", ()))
        if ALERT_CONFIRMATIONS.name in listed and data.get("confirms") is not True:
            raise ValueError(f"{ALERT_CONFIRMATIONS.name} comes with confirms: true alone")
        if data.get("confirms") is True:
            return {**data, "publishes": publishes_of(data)}
        return data

    def may_publish(self, topic: str) -> bool:
        return topic in self.publishes

    def operates_shelter(self, shelter_id: str) -> bool:
        return any(fnmatchcase(shelter_id, pattern) for pattern in self.shelters)

    def operates_vehicle(self, vehicle_id: str) -> bool:
        return any(fnmatchcase(vehicle_id, pattern) for pattern in self.vehicles)

    def covers(self, region_pcode: str) -> bool:
        return region_pcode in self.regions

    def may_confirm(self, region_pcode: str) -> bool:
        """Whether it may confirm or reject held alerts of ``region_pcode``."""
        return self.confirms and self.covers(region_pcode)


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

    def confirmers(self, region_pcode: str) -> tuple[Partner, ...]:
        """Partners with an inbox that may confirm held alerts of ``region_pcode``, by id."""
        return tuple(
            p for _, p in sorted(self._partners.items()) if p.inbox and p.may_confirm(region_pcode)
        )

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
        document = read_yaml(path)
        entries = document.get("partners")
        if not isinstance(entries, list):
            raise RegistryError(f"{path}: expected a 'partners' list")
        default = document.get("confirm_above", DEFAULT_CONFIRM_ABOVE)
        partners: dict[str, Partner] = {}
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and "confirm_above" not in entry:
                entry = {**entry, "confirm_above": default}
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
