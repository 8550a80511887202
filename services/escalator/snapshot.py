"""Snapshots of an escalator worker's folds, per partition, in its state folder.

The escalator's state is a fold of the region log from offset 0 (store.py), and the region log
is kept for ever: a restarted worker folded every tick of every region again before it sent
anything, at about 0.7-1 ms per tick (150-1,000 shelters; a day of ten regions ticking every
second is 864,000 ticks, 10-15 minutes of silence). So after a commit, at most every
``Settings.escalator_snapshot_every`` seconds, the worker writes each partition's folds and the
offset they reach; a worker assigned the partition again folds from there to the committed
offset, quietly as before, and from offset 0 when there is no usable snapshot. A snapshot is a
cache, never the truth: it is used only if its offset is not past the committed one (it was
written after a commit) and it was written by the same code, configuration and partner
registry (a fingerprint); anything else (another host's worker, an upgrade, a damaged file)
folds from offset 0, as before. The same log gives the same escalations either way (the
SIGKILL test compares every message with a pure replay, with and without snapshots).

The folds are pickled: the files are the worker's own, in its state folder, as faust's RocksDB
files are, and a file whose fingerprint does not match is not unpickled at all.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
import sys
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from services.config import PROJECT_ROOT

MAGIC = b"corridor-escalator-snapshot 1"
# What the folds are made of and how they fold: a change to any of it folds from offset 0.
SOURCES = ("schemas", "services/allocator", "services/escalator")


def fingerprint(*settings: object, files: Iterable[Path] = ()) -> str:
    """The code under SOURCES, the Python version, the given settings (their repr) and files."""
    digest = hashlib.sha256(sys.version.encode())
    for folder in SOURCES:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
            digest.update(path.read_bytes())
    for item in settings:
        digest.update(repr(item).encode())
    for path in files:
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


def _proxy(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return _proxy, (dict(proxy),)


class Snapshots:
    """One file per partition of ``topic``: a header line (magic, fingerprint, offset), then the
    pickled folds. Written to a temporary file, synced, then renamed over the old one."""

    def __init__(self, folder: Path, topic: str, fingerprint: str) -> None:
        self.folder, self.topic, self.fingerprint = folder, topic, fingerprint
        self.reason = ""  # why the last load found nothing usable

    def path(self, partition: int) -> Path:
        return self.folder / f"{self.topic}-{partition}.snapshot"

    def save(self, partition: int, offset: int, folds: object) -> int:
        """Write ``folds`` as reaching ``offset``; the size in bytes."""
        out = io.BytesIO()
        out.write(b"%s %s %d\n" % (MAGIC, self.fingerprint.encode(), offset))
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _reduce_proxy}
        pickler.dump(folds)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(partition)
        part = path.with_suffix(".part")
        with part.open("wb") as f:
            f.write(out.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        part.replace(path)
        return out.tell()

    def load(self, partition: int, committed: int) -> tuple[int, Any] | None:
        """The folds and their offset, if the snapshot is usable for a partition committed up
        to ``committed``; else None (``reason`` says why)."""
        self.reason = "none"
        try:
            with self.path(partition).open("rb") as f:
                header = f.readline().split()
                if len(header) != 4 or b" ".join(header[:2]) != MAGIC:
                    self.reason = "not a snapshot"
                    return None
                if header[2].decode() != self.fingerprint:
                    self.reason = "written by other code, settings or registry"
                    return None
                offset = int(header[3])
                if offset > committed:
                    self.reason = f"past the committed offset ({offset} > {committed})"
                    return None
                return offset, pickle.load(f)  # noqa: S301 - our own file, fingerprint checked
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged file: fold from offset 0
            self.reason = f"unreadable ({type(exc).__name__})"
            return None
