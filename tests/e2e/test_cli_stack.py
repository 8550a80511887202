"""`corridor up / status / down` as an operator runs them: real processes, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from services.config import PROJECT_ROOT
from services.stack import process
from services.stack.acls import registry_access
from services.stack.local import topic_plans
from tests.e2e.own_stack import CORRIDOR, corridor, processes_under

REVOKE_FIVE = """
import asyncio
from services.config import Settings
from services.stack import acls
s = Settings()
print(asyncio.run(acls.revoke(s.bootstrap_servers, acls.table(acls.registry_access())[:5])))
"""


@pytest.mark.timeout(600)
def test_up_status_down_up_again_leaves_nothing_behind(stack_env) -> None:
    env, state = stack_env
    first = corridor("up", env=env)
    assert first.returncode == 0, first.stderr
    assert "kafka started" in first.stdout and "postgres started" in first.stdout
    planned = len(topic_plans())
    assert f"topics: {planned} created" in first.stdout
    signing = state / "partners" / "signing-secrets.yaml"  # generated, never the repository's
    generated = yaml.safe_load(signing.read_text())
    assert set(generated) == {p.partner_id for p in registry_access()}

    again = corridor("up", env=env)  # harmless when already up
    assert again.returncode == 0, again.stderr
    assert "kafka already running" in again.stdout and "topics: 0 created" in again.stdout

    status = corridor("status", env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count("healthy") == 3  # kafka, its ACLs, postgres
    assert f"{planned}/{planned} catalogue topics" in status.stdout
    for processor in ("intake", "allocator", "escalator", "ledger"):  # none runs: none waits
        assert f"{processor:<9} no worker" in status.stdout, status.stdout
    assert "nothing waiting" in status.stdout and "unknown" not in status.stdout

    # ACLs the broker lacks when it starts again (an upgrade brings new ones) are created by
    # `up` and in force when it returns: `corridor run` starts its workers right after it
    revoked = subprocess.run([sys.executable, "-c", REVOKE_FIVE], env=env, cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert revoked.stdout.strip() == "5", revoked.stdout + revoked.stderr
    down = corridor("down", env=env)
    assert down.returncode == 0, down.stderr
    assert processes_under(state) == []
    status = corridor("status", env=env)
    assert status.returncode == 1
    assert status.stdout.count("DOWN") == 2

    # A second `up` reuses the formatted storage and the initialised database.
    second = corridor("up", env=env)
    assert second.returncode == 0, second.stderr
    assert yaml.safe_load(signing.read_text()) == generated  # kept
    assert "topics: 0 created" in second.stdout and "migrations: 0 applied" in second.stdout
    assert "acls: 5 created" in second.stdout
    status = corridor("status", env=env)
    assert status.stdout.count("healthy") == 3, status.stdout
    assert corridor("down", env=env).returncode == 0
    assert processes_under(state) == []


def test_missing_maven_or_java_is_one_clear_line(tmp_path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {
        **os.environ,
        "PATH": str(bare),  # neither mvn nor java
        "CORRIDOR_STATE_DIR": str(tmp_path / "state"),
        "CORRIDOR_JAR_CACHE": str(tmp_path / "jars"),
        "CORRIDOR_KAFKA_PORT": str(process.free_port()),
        "CORRIDOR_KAFKA_CONTROLLER_PORT": str(process.free_port()),
        "CORRIDOR_KAFKA_PARTNER_PORT": str(process.free_port()),
    }
    result = corridor("up", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "corridor: mvn not found on PATH: install Maven (apt-get install maven) "
        "to run the local Kafka broker"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_every_command_has_help() -> None:
    for args in [(), ("up",), ("down",), ("status",), ("schemas", "export")]:
        result = subprocess.run(
            [*CORRIDOR, *args, "--help"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout
