"""Topics the intake uses besides the catalogue's. Created by `corridor up` like the others."""

from __future__ import annotations

from schemas.catalogue import REGION_PARTITIONS

ADMITTED = "intake.admitted.v1"
"""Admitted events, re-keyed by event id: every copy of an id meets one `seen` partition."""
ADMITTED_PARTITIONS = REGION_PARTITIONS  # the `seen` table is co-partitioned with it
ADMITTED_RETENTION_MS = 7 * 24 * 3600 * 1000
