"""`python -m services.opscentre worker` refuses to start without an operator token."""

from __future__ import annotations

import os
import subprocess
import sys

from services.config import PROJECT_ROOT


def test_refuses_to_start_without_an_operator_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CORRIDOR_OPSCENTRE_OPERATOR_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "services.opscentre", "worker"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "CORRIDOR_OPSCENTRE_OPERATOR_TOKEN is not set" in lines[0]


def test_corridor_opscentre_token_prints_a_partners_token() -> None:
    from services.opscentre.auth import partner_token

    secret = "a-test-signing-secret-0123456789"
    env = {**os.environ, "CORRIDOR_PARTNER_SECRET_DPC_HT": secret}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "opscentre", "token", "--partner", "dpc-ht"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == partner_token("dpc-ht", secret)
