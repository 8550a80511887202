"""Static membership by default (services/membership.py): slots claimed with flock, ids."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import faust
import pytest

from services import membership
from services.config import Settings
from services.membership import MAX_LENGTH, claim_slot, group_instance_id, instance_id

KAFKA_ID = re.compile(r"[A-Za-z0-9._-]{1,249}")


@pytest.fixture(autouse=True)
def _release_held_slots():
    yield
    while membership._held:
        membership._held.pop().release()


def test_the_id_names_the_group_the_host_the_folder_and_the_slot() -> None:
    name = instance_id("corridor-allocator-t1", "node-7.example", "/srv/state/members", 3)
    assert re.fullmatch(r"corridor-allocator-t1-node-7\.example-[0-9a-f]{6}-3", name)
    assert instance_id("corridor-allocator-t1", "node-7.example", "/srv/state/members", 3) == name
    assert instance_id("corridor-allocator-t1", "node-7.example", "/srv/state/members", 4) != name
    assert instance_id("corridor-allocator-t1", "node-8.example", "/srv/state/members", 3) != name
    assert instance_id("corridor-allocator-t1", "node-7.example", "/srv/other/members", 3) != name
    assert instance_id("corridor-intake-t1", "node-7.example", "/srv/state/members", 3) != name


def test_the_id_keeps_within_what_kafka_takes() -> None:
    odd = instance_id("corridor-allocator", "héte d'été", "/s", 0)
    assert KAFKA_ID.fullmatch(odd), odd
    long_a = instance_id("corridor-allocator-" + "n" * 300 + "a", "host", "/s", 0)
    long_b = instance_id("corridor-allocator-" + "n" * 300 + "b", "host", "/s", 0)
    assert len(long_a) == MAX_LENGTH and KAFKA_ID.fullmatch(long_a)
    assert long_a != long_b  # cut, but still apart


def test_two_claims_in_one_process_get_different_slots_and_a_released_one_comes_back(
    tmp_path: Path,
) -> None:
    first, second = claim_slot(tmp_path, "g"), claim_slot(tmp_path, "g")
    assert (first.number, second.number) == (0, 1)
    assert claim_slot(tmp_path, "other").number == 0  # slots are per group
    first.release()
    assert claim_slot(tmp_path, "g").number == 0
    assert claim_slot(tmp_path, "g").number == 2


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from services.membership import claim_slot
    slot = claim_slot(Path(sys.argv[1]), "g")
    print(slot.number, flush=True)
    time.sleep(600)
    """
)


def test_a_slot_held_by_another_process_is_free_again_once_it_is_killed(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "0"
        mine = claim_slot(tmp_path, "g")
        assert mine.number == 1
        holder.send_signal(signal.SIGKILL)  # no goodbye: the kernel drops the lock
        holder.wait(30)
        assert claim_slot(tmp_path, "g").number == 0
        assert (tmp_path / "g-0.lock").read_text() == f"{os.getpid()}\n"  # its new holder's
    finally:
        holder.kill()
        holder.wait()


def test_by_default_a_worker_claims_a_slot_and_a_setting_names_it_or_opts_out(
    tmp_path: Path,
) -> None:
    folder = str((tmp_path / "members").resolve())
    settings = Settings(state_dir=tmp_path, group_instance_id=None)
    host = socket.gethostname()
    assert group_instance_id(settings, "g") == instance_id("g", host, folder, 0)
    assert group_instance_id(settings, "g") == instance_id("g", host, folder, 1)
    assert group_instance_id(Settings(state_dir=tmp_path, group_instance_id="w-1"), "g") == "w-1"
    for off in ("none", "None", " NONE "):
        assert group_instance_id(Settings(state_dir=tmp_path, group_instance_id=off), "g") is None
    assert sorted(p.name for p in (tmp_path / "members").iterdir()) == ["g-0.lock", "g-1.lock"]
    lock = (tmp_path / "members" / "g-1.lock").read_text()
    assert lock == f"{os.getpid()}\n{instance_id('g', host, folder, 1)}\n"


def test_a_faust_worker_gets_its_id_when_it_starts_not_when_the_app_is_built(
    tmp_path: Path,
) -> None:
    app = faust.App("corridor-test-membership", web_enabled=False)
    membership.static_membership(app, Settings(state_dir=tmp_path, group_instance_id=None))
    assert not (tmp_path / "members").exists()
    app.on_worker_init.send()
    app.on_worker_init.send()  # faust's command line sends it twice
    assert sorted(p.name for p in (tmp_path / "members").iterdir()) == [
        "corridor-test-membership-0.lock"
    ]
    assert app.conf.consumer_group_instance_id == instance_id(
        "corridor-test-membership",
        socket.gethostname(),
        str((tmp_path / "members").resolve()),
        0,
    )


def test_the_ledger_s_wiring_claims_a_slot_or_opts_out(tmp_path: Path) -> None:
    from services.ledger.app import Wiring

    group = "corridor-ledger-t1"
    wiring = Wiring.of(Settings(state_dir=tmp_path, topic_namespace="t1", group_instance_id=None))
    folder = str((tmp_path / "members").resolve())
    assert wiring.instance_id == instance_id(group, socket.gethostname(), folder, 0)
    off = Settings(state_dir=tmp_path, topic_namespace="t1", group_instance_id="none")
    assert Wiring.of(off).instance_id is None


def test_a_state_folder_it_cannot_write_means_dynamic_membership(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "members").write_text("a file where the folder should be")
    assert group_instance_id(Settings(state_dir=tmp_path, group_instance_id=None), "g") is None
    assert "dynamic membership" in caplog.text
