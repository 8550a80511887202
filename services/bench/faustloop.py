"""`python -m services.bench.faustloop worker`: a trivial faust agent (consume → send, no work),
the ceiling of any faust processor. A bench tool, not a processor: it runs as the bench's admin
principal (`CORRIDOR_KAFKA_USER`), in the bench's namespace, on the topics the bench names:

* `CORRIDOR_BENCH_SOURCE`, `CORRIDOR_BENCH_SINK` — broker topic names;
* `CORRIDOR_BENCH_FAUST` — `corridor`: the App that `services.streams.make_app` builds for every
  processor (so it inherits Corridor's tuning); `default`: faust's defaults, with only what the
  bench needs to run at all (broker, credentials, raw bytes, earliest offsets, no web server).
"""

from __future__ import annotations

import os

import faust

from services.config import Settings, processor_id
from services.kafka_access import faust_credentials, principal_of
from services.streams import main, make_app


def build(settings: Settings, flavour: str) -> faust.App:
    principal = principal_of(settings)
    service = f"bench-faust-{flavour}"
    if flavour == "corridor":
        return make_app(service, settings, principal=principal)
    if flavour != "default":
        raise ValueError(f"CORRIDOR_BENCH_FAUST: corridor or default, not {flavour!r}")
    app_id = processor_id(service, settings.topic_namespace)
    datadir = settings.state_dir / "faust" / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    return faust.App(
        app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings, principal),
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
    )


settings = Settings()
app = build(settings, os.environ.get("CORRIDOR_BENCH_FAUST", "corridor"))
source = app.topic(
    os.environ["CORRIDOR_BENCH_SOURCE"], key_serializer="raw", value_serializer="raw"
)
sink = app.topic(os.environ["CORRIDOR_BENCH_SINK"], key_serializer="raw", value_serializer="raw")


@app.agent(source)
async def copy(stream: faust.StreamT[bytes]) -> None:
    async for key, value in stream.items():
        await sink.send(key=key, value=value)


if __name__ == "__main__":
    main(app)
