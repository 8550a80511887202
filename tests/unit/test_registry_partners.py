from pathlib import Path

import pytest

from schemas.types import EscalationLevel, Sector
from services.registry.dtm import read_sites
from services.registry.errors import RegistryError
from services.registry.partners import (
    PARTNER_TOPICS,
    PartnerRegistry,
    load_secrets,
    secret_env_var,
)
from services.registry.regions import load_regions
from tests import TEST_SECRETS

DEV_SECRETS = TEST_SECRETS
HAZARDS = "ingress.hazard-warnings.v1"


@pytest.fixture(scope="module")
def partners() -> PartnerRegistry:
    return PartnerRegistry.load(None, load_secrets(DEV_SECRETS, {}))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partners.yaml"
    path.write_text(text, encoding="utf-8")
    return path


ONE = "partners:\n  - partner_id: ngo-one\n    name: NGO One\n    regions: [HT01]\n"
SECRETS = {"ngo-one": "sixteen-chars-ok"}


def test_committed_registry_loads(partners: PartnerRegistry) -> None:
    assert partners.ids == {
        "iom-dtm-ht",
        "croix-rouge-ht",
        "protection-ht",
        "dpc-ht",
        "iom-ht-national",
        "hct-ht",
        "cap-adapter",
    }
    iom = partners.get("iom-dtm-ht")
    assert iom is not None and iom.sectors == {Sector.SHELTER_CCCM}
    assert iom.secret.get_secret_value() == "dev-only-not-a-secret-iom-dtm-ht"
    assert iom.publishes == PARTNER_TOPICS and HAZARDS not in iom.publishes
    cap = partners.get("cap-adapter")
    assert cap is not None and cap.publishes == {HAZARDS} and not cap.inbox


def test_committed_regions_are_known(partners: PartnerRegistry) -> None:
    pcodes = load_regions().pcodes
    for partner in partners:
        assert partner.regions <= pcodes, partner.partner_id


def test_iom_operates_every_dtm_site(partners: PartnerRegistry) -> None:
    iom = partners.get("iom-dtm-ht")
    assert iom is not None
    ssids = [site.ssid for site in read_sites()]
    assert len(ssids) == 352
    assert all(iom.operates_shelter(ssid) for ssid in ssids)


def test_secret_is_never_shown(partners: PartnerRegistry) -> None:
    iom = partners.get("iom-dtm-ht")
    assert iom is not None
    assert "dev-only" not in repr(iom) and "dev-only" not in iom.model_dump_json()


def test_glob_matching(partners: PartnerRegistry) -> None:
    iom, crh = partners.get("iom-dtm-ht"), partners.get("croix-rouge-ht")
    assert iom is not None and crh is not None
    assert iom.operates_shelter("111_01_026") and iom.operates_shelter("211_06_002")
    assert not iom.operates_shelter("311_01_001") and not iom.operates_shelter("x111_01")
    assert crh.operates_vehicle("crh-bus-07") and not crh.operates_vehicle("CRH-bus-07")
    assert not crh.operates_shelter("111_01_026")


def test_subscribers(partners: PartnerRegistry) -> None:
    ids = [p.partner_id for p in partners.subscribers("HT03", Sector.LOGISTICS)]
    assert ids == ["croix-rouge-ht", "dpc-ht", "hct-ht", "iom-ht-national"]


def test_recipients_climb_the_chain_by_level(partners: PartnerRegistry) -> None:
    def told(level: EscalationLevel) -> list[str]:
        return [p.partner_id for p in partners.recipients("HT03", Sector.LOGISTICS, level)]

    assert told(EscalationLevel.L1) == ["croix-rouge-ht", "dpc-ht"]
    assert told(EscalationLevel.L2) == ["croix-rouge-ht", "dpc-ht", "iom-ht-national"]
    assert told(EscalationLevel.L3) == ["croix-rouge-ht", "dpc-ht", "hct-ht", "iom-ht-national"]


def test_partner_without_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        RegistryError, match=r"ngo-one has no signing secret.*PARTNER_SECRET_NGO_ONE"
    ):
        PartnerRegistry.load(write(tmp_path, ONE), {"someone-else": "sixteen-chars-ok"})


def test_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="shorter than 16") as refused:
        PartnerRegistry.load(write(tmp_path, ONE), {"ngo-one": "tiny-secret"})
    assert "tiny-secret" not in str(refused.value)


def test_secret_in_registry_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="secrets do not belong"):
        PartnerRegistry.load(write(tmp_path, ONE + "    secret: oops-oops-oops-oops\n"), SECRETS)


@pytest.mark.parametrize("bad_id", ["NGO-One", "ngo_one", "-ngo", "n", "x" * 41])
def test_invalid_partner_id_is_refused(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(RegistryError, match="partner_id"):
        PartnerRegistry.load(write(tmp_path, ONE.replace("ngo-one", bad_id)), {bad_id: "s" * 16})


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("    publishes: [ingress.rejected.v1]\n", "not an ingress topic"),
        ("    sectors: [cooking]\n", "sectors"),
        ("    phone: '+509 0000 0000'\n", "phone"),  # personal data cannot slip in
        ("    shelters: ['a b']\n", "shelters"),
    ],
)
def test_invalid_profile_is_refused(tmp_path: Path, extra: str, field: str) -> None:
    with pytest.raises(RegistryError, match=field):
        PartnerRegistry.load(write(tmp_path, ONE + extra), SECRETS)


def test_duplicate_partner_is_refused(tmp_path: Path) -> None:
    text = ONE + ONE.removeprefix("partners:\n")
    with pytest.raises(RegistryError, match="listed twice"):
        PartnerRegistry.load(write(tmp_path, text), SECRETS)


def test_env_overrides_secrets_file() -> None:
    env = {
        secret_env_var("iom-dtm-ht"): "from-the-environment",
        "CORRIDOR_PARTNER_SECRET_NEW_PARTNER": "another-one-from-env",
        "CORRIDOR_PARTNER_SECRET_DPC_HT": "",  # empty: ignored
        "UNRELATED": "x",
    }
    secrets = load_secrets(DEV_SECRETS, env)
    assert secret_env_var("iom-dtm-ht") == "CORRIDOR_PARTNER_SECRET_IOM_DTM_HT"
    assert secrets["iom-dtm-ht"] == "from-the-environment"
    assert secrets["new-partner"] == "another-one-from-env"
    assert secrets["dpc-ht"] == "dev-only-not-a-secret-dpc-ht"
    assert "unrelated" not in secrets
    assert load_secrets(None, env) == {
        "iom-dtm-ht": "from-the-environment",
        "new-partner": "another-one-from-env",
    }


def test_bad_secrets_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text("ngo-one: [unclosed-secret-value\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="invalid YAML") as refused:
        load_secrets(path, {})
    assert "unclosed-secret-value" not in str(refused.value)
    path.write_text("ngo-one: 42\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="not 'partner_id: secret'"):
        load_secrets(path, {})
    with pytest.raises(RegistryError, match="cannot read"):
        load_secrets(tmp_path / "missing.yaml", {})
