"""`corridor compose-init`: what the compose deployment's secrets volume holds (the broker that
runs it: tests/integration/test_compose_broker.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from services.config import Settings
from services.registry.secrets import ensure_file, load_secrets
from services.stack import credentials, deploy
from services.stack.broker_config import security_lines

PARTNERS = ("dpc-ht", "iom-dtm-ht")


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_each_folder_holds_its_own_password_only(tmp_path: Path) -> None:
    deploy.write(tmp_path, PARTNERS)
    everyone = _yaml(tmp_path / "kafka" / "credentials.yaml")
    for name in deploy.CLIENT_FOLDERS:
        assert _yaml(tmp_path / name / "credentials.yaml") == {name: everyone[name]}
        assert (tmp_path / name / "ca.pem").read_bytes() == (
            tmp_path / "kafka/tls/ca.pem"
        ).read_bytes()
        mode = stat.S_IMODE((tmp_path / name / "credentials.yaml").stat().st_mode)
        assert mode == 0o600
    signing = _yaml(tmp_path / "signing" / "signing-secrets.yaml")
    for partner in PARTNERS:
        home = tmp_path / "partners" / partner
        assert _yaml(home / "credentials.yaml") == {partner: everyone[partner]}
        assert _yaml(home / "signing-secrets.yaml") == {partner: signing[partner]}
    assert not (tmp_path / "allocator" / "signing-secrets.yaml").exists()
    assert _yaml(tmp_path / "intake" / "signing-secrets.yaml") == signing


def test_the_broker_formats_with_every_principal_and_has_the_local_security(
    tmp_path: Path,
) -> None:
    deploy.write(tmp_path, PARTNERS)
    passwords = _yaml(tmp_path / "kafka" / "credentials.yaml")
    script = (tmp_path / "kafka" / "start.sh").read_text()
    for name in credentials.principals(PARTNERS):
        assert f"name={name},password={passwords[name]}]" in script
    config = (tmp_path / "kafka" / "server.properties").read_text().splitlines()
    assert all(
        line in config for line in security_lines(passwords, "/secrets/kafka/tls/broker.pem")
    )
    assert (
        "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT,PARTNER:SASL_SSL"
        in config
    )
    assert "advertised.listeners=INTERNAL://kafka:9092,PARTNER://localhost:9094" in config


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    deploy.write(tmp_path, PARTNERS)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    deploy.write(tmp_path, PARTNERS)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_signing_secrets_are_generated_kept_and_extended(tmp_path: Path) -> None:
    path = tmp_path / "partners" / "signing-secrets.yaml"
    first = ensure_file(path, ["dpc-ht"])
    assert len(first["dpc-ht"]) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    second = ensure_file(path, ["dpc-ht", "iom-dtm-ht"])
    assert second["dpc-ht"] == first["dpc-ht"] and second["iom-dtm-ht"] != first["dpc-ht"]
    assert load_secrets(path, {}) == second


def test_settings_use_the_generated_secrets_once_they_exist(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CORRIDOR_PARTNER_SECRETS_FILE", raising=False)
    monkeypatch.setenv("CORRIDOR_STATE_DIR", str(tmp_path))
    assert Settings().partner_secrets_file is None  # nothing generated: no file, no dev default
    ensure_file(Settings().signing_secrets_default, ["dpc-ht"])
    assert Settings().partner_secrets_file == tmp_path / "partners" / "signing-secrets.yaml"
