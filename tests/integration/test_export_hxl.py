"""`corridor export hxl` against PostgreSQL: the ledger's rows of a region as HXL CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from services.bench.ledger_workload import ledger_messages
from services.bench.workload import Workload
from services.cli import app
from services.ledger import store
from services.ledger.rows import Record, Rows, rows_of
from tests.integration.test_ledger import _schema_dsn

WORKLOAD = Workload(regions=("HT01", "HT02"), shelters=6, alerts=12)


async def corridor(dsn: str, *args: str) -> Result:
    """The command line, in a thread: it runs its own event loop."""
    env = {"CORRIDOR_DATABASE_URL": dsn}
    return await asyncio.to_thread(lambda: CliRunner().invoke(app, list(args), env=env))


@pytest.mark.timeout(60)
async def test_one_row_per_shelter_of_the_region_with_its_figures(
    database_url: str, namespace: str, tmp_path: Path
) -> None:
    dsn = await _schema_dsn(database_url, namespace)
    conn = await asyncpg.connect(dsn)
    try:
        await store.prepare(conn)
        rows = Rows()
        for offset, m in enumerate(ledger_messages(WORKLOAD)):
            rows.extend(rows_of(Record(m.topic, 0, offset, m.value)))
        await store.write(conn, "test", rows, {})
        shelters = await conn.fetch(
            "SELECT shelter_id, capacity, occupancy, reserved FROM shelters"
            " WHERE region_pcode = 'HT01' ORDER BY shelter_id"
        )
    finally:
        await conn.close()
    out = tmp_path / "ht01.csv"
    result = await corridor(dsn, "export", "hxl", "--region", "HT01", "--out", str(out))
    assert result.exit_code == 0, result.output
    header, tags, *lines = list(csv.reader(io.StringIO(out.read_text())))
    assert tags[0] == "#adm1+code" and len(header) == len(tags)
    got = [dict(zip(tags, line, strict=True)) for line in lines]
    assert [g["#loc+code"] for g in got] == [s["shelter_id"] for s in shelters]
    assert {g["#adm1+code"] for g in got} == {"HT01"}
    assert [int(g["#reached+pending"]) for g in got] == [s["reserved"] for s in shelters]
    assert sum(int(g["#reached"]) for g in got) > 0
    assert [g["#affected+idps"] for g in got] == [str(s["occupancy"]) for s in shelters]
    # An unknown region is an empty situation, not an error.
    other = await corridor(dsn, "export", "hxl", "--region", "HT09")
    assert other.exit_code == 0 and len(other.output.splitlines()) == 2
