"""Kafka static membership by default: every worker's `group.instance.id`, unique and stable.

A consumer group member with a `group.instance.id` (a static member) that restarts under the same
id takes its partitions back at once; without one, the group waits for the dead member's session
to lapse first (docs/architecture.md "Throughput", "Recovery after a crash"). Two live members
under one id fence each other, so the id must be unique among a processor's workers.

Each worker claims the lowest free *slot* N of its processor on this host: an exclusive,
non-blocking `flock` on ``<state_dir>/members/<group>-<N>.lock``, held open for the life of the
process. The kernel drops the lock when the process dies, SIGKILL included, so a worker restarted
in its predecessor's place finds that slot free and comes back under the same id:
``<group>-<host>-<folder>-<N>``. The host name keeps two hosts apart; ``<folder>`` (a digest of
the lock folder) keeps apart two state folders on one host, since the lock only makes a slot
unique within its folder.

`CORRIDOR_GROUP_INSTANCE_ID` names the worker instead; `CORRIDOR_GROUP_INSTANCE_ID=none` turns
static membership off (the group's session decides, and a cleanly stopped worker leaves at once).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import socket
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.config import Settings

if TYPE_CHECKING:
    import faust
    from mode import BaseSignalT

DYNAMIC = "none"  # CORRIDOR_GROUP_INSTANCE_ID=none: no static membership
MAX_LENGTH = 249  # Kafka's limit for group.instance.id (as for a topic name)
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]+")
log = logging.getLogger(__name__)
_held: list[Slot] = []  # the slots this process holds: open until it exits


@dataclass(frozen=True, slots=True)
class Slot:
    number: int
    path: Path
    fd: int  # the open, locked file; closing it gives the slot up

    def release(self) -> None:
        os.close(self.fd)


def instance_id(group: str, host: str, folder: str, slot: int) -> str:
    """The id of slot ``slot`` of ``group``'s workers on ``host`` whose locks live in
    ``folder``: only characters Kafka takes, at most MAX_LENGTH of them."""
    digest = hashlib.sha256(folder.encode()).hexdigest()[:6]
    name = _NOT_ALLOWED.sub("-", f"{group}-{host}-{digest}-{slot}")
    if len(name) <= MAX_LENGTH:
        return name
    tail = hashlib.sha256(name.encode()).hexdigest()[:16]  # still unique once cut
    return f"{name[: MAX_LENGTH - len(tail) - 1]}-{tail}"


def claim_slot(folder: Path, group: str) -> Slot:
    """The lowest slot of ``group`` in ``folder`` that no live process holds, now held by this
    one (until `Slot.release` or its exit)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in count():
        path = folder / f"{group}-{number}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a reader
        return Slot(number, path, fd)
    raise AssertionError("unreachable")


def group_instance_id(settings: Settings, group: str) -> str | None:
    """This worker's `group.instance.id` in ``group``, None for dynamic membership. Claims a
    slot (held until the process exits) unless the settings name the worker or opt out; where
    no slot can be claimed (the folder cannot be written) it says so and goes dynamic."""
    named = settings.group_instance_id
    if named is not None:
        return None if named.strip().lower() == DYNAMIC else named
    folder = (settings.state_dir / "members").resolve()
    try:
        slot = claim_slot(folder, group)
    except OSError as exc:  # a folder it cannot write: slower recovery, not a dead worker
        log.warning("no static membership slot in %s (%s): dynamic membership", folder, exc)
        return None
    _held.append(slot)
    name = instance_id(group, socket.gethostname(), str(folder), slot.number)
    os.write(slot.fd, f"{name}\n".encode())  # after the pid: which member holds the slot
    return name


def static_membership(app: faust.App, settings: Settings) -> None:
    """Give a faust worker its `group.instance.id` when `faust worker` starts it, not when the
    App is built: importing a processor's module (tests, tools) claims no slot. faust's command
    line sends `on_worker_init` more than once in one process: one slot for all of them."""
    claimed: list[str | None] = []

    def on_worker_init(sender: Any, /, *_: Any, signal: BaseSignalT[Any], **__: Any) -> None:
        if not claimed:
            claimed.append(group_instance_id(settings, app.conf.id))
            app.conf.consumer_group_instance_id = claimed[0]  # type: ignore[assignment]

    app.on_worker_init.connect(on_worker_init)
