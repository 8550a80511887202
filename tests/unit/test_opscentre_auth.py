"""Opscentre tokens and scope rules: pure."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from services.config import Settings
from services.opscentre.app import MissingOperatorToken, create_app
from services.opscentre.auth import (
    OPERATOR,
    OutOfScope,
    Principal,
    Unauthenticated,
    authenticate,
    partner_token,
    region_scope,
    sector_scope,
)
from services.opscentre.devtoken import dev_operator_token
from services.registry.partners import Partner, PartnerRegistry

OPERATOR_TOKEN = "operator-token-0123456789abcdef"
SECRET = "partner-secret-0123456789abcdef"


def registry() -> PartnerRegistry:
    partner = Partner(
        partner_id="dpc-ht", name="DGPC", sectors=frozenset({"health", "logistics"}),
        regions=frozenset({"HT02", "HT01"}), secret=SecretStr(SECRET),
    )  # fmt: skip
    return PartnerRegistry({"dpc-ht": partner})


def test_operator_and_partner_tokens_authenticate() -> None:
    assert authenticate(OPERATOR_TOKEN, OPERATOR_TOKEN, registry()) == OPERATOR
    partner = authenticate(partner_token("dpc-ht", SECRET), OPERATOR_TOKEN, registry())
    assert partner == Principal("dpc-ht", frozenset({"HT01", "HT02"}),
                                frozenset({"health", "logistics"}))  # fmt: skip
    assert not partner.is_operator


@pytest.mark.parametrize(
    "token",
    [None, "", "operator-token-0123456789abcdeX", partner_token("dpc-ht", "another-secret-xyz"),
     partner_token("unknown", SECRET), "partner.dpc-ht", "partner..", "partner.dpc-ht.zz"],
)  # fmt: skip
def test_anything_else_is_unauthenticated(token: str | None) -> None:
    with pytest.raises(Unauthenticated):
        authenticate(token, OPERATOR_TOKEN, registry())


def test_partner_token_is_derived_not_the_secret() -> None:
    token = partner_token("dpc-ht", SECRET)
    assert token.startswith("partner.dpc-ht.") and SECRET not in token
    assert partner_token("dpc-ht", SECRET) == token != partner_token("dpc-ht", SECRET + "x")


def test_scopes() -> None:
    partner = authenticate(partner_token("dpc-ht", SECRET), OPERATOR_TOKEN, registry())
    assert region_scope(OPERATOR, None) is None
    assert region_scope(OPERATOR, "HT09") == ["HT09"]
    assert region_scope(partner, None) == ["HT01", "HT02"]
    assert region_scope(partner, "HT02") == ["HT02"]
    assert sector_scope(partner, None) == ["health", "logistics"]
    with pytest.raises(OutOfScope):
        region_scope(partner, "HT09")
    with pytest.raises(OutOfScope):
        sector_scope(partner, "protection")
    assert partner.sees("HT01", "health") and not partner.sees("HT01", "protection")
    assert partner.sees("HT01") and not partner.sees("HT03")


def test_no_operator_token_refuses_to_start_with_one_line() -> None:
    with pytest.raises(MissingOperatorToken, match="CORRIDOR_OPSCENTRE_OPERATOR_TOKEN is not set"):
        create_app(Settings(opscentre_operator_token=None), registry())
    with pytest.raises(MissingOperatorToken, match="shorter than"):
        create_app(Settings(opscentre_operator_token=SecretStr("short")), registry())


def test_dev_token_is_made_once_and_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    token = dev_operator_token(state)
    assert len(token) >= 32 and dev_operator_token(state) == token
    assert (state / "opscentre-operator-token").stat().st_mode & 0o777 == 0o600
