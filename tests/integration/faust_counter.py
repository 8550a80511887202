"""A minimal faust app for the fixture test: count messages per key in a changelog table.

Run as `python -m tests.integration.faust_counter worker`; configured by COUNTER_* variables.
"""

from __future__ import annotations

import os

import faust

from services.config import Settings
from services.kafka_access import faust_credentials
from services.stack.credentials import ADMIN

app = faust.App(
    os.environ.get("COUNTER_APP_ID", "counter"),
    broker=f"kafka://{os.environ.get('COUNTER_BOOTSTRAP', '127.0.0.1:9092')}",
    store="memory://",
    topic_partitions=int(os.environ.get("COUNTER_PARTITIONS", "2")),
    web_enabled=False,
    datadir=os.environ.get("COUNTER_DATADIR", "counter-data"),
    key_serializer="raw",
    value_serializer="raw",
    broker_credentials=faust_credentials(Settings(), Settings().kafka_user or ADMIN),
)
source = app.topic(os.environ.get("COUNTER_SOURCE", "source"))
sink = app.topic(os.environ.get("COUNTER_SINK", "sink"))
counts = app.Table("counts", default=int, key_type=bytes, value_type=int)


@app.agent(source, concurrency=1)
async def count(stream: faust.StreamT) -> None:
    async for key, _value in stream.items():
        counts[key] += 1
        await sink.send(key=key, value=b"%s=%d" % (key, counts[key]))


if __name__ == "__main__":
    app.main()
