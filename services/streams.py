"""What every faust processor shares: the App built from Settings, raw topics, namespaces."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import EventT

from schemas.catalogue import topic_name
from services.config import Settings, processor_id
from services.fetching import shorten_fetch_wait
from services.kafka_access import faust_credentials
from services.membership import static_membership

MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the broker's message.max.bytes (infra/kafka)

# faust's defaults: 4096, None (aiokafka: 500), 0, 16 KiB.
THROUGHPUT: dict[str, Any] = {
    "stream_buffer_maxsize": 16384,
    "broker_max_poll_records": 2000,
    "producer_linger": 0.005,
    "producer_max_batch_size": 256 * 1024,
}


# Batched processors handle up to BATCH records before they write and commit: what the stream
# holds (read through `relayed`), waiting up to BATCH_WITHIN seconds for more once the queue is
# empty (faust hands messages over one at a time; without the wait batches averaged 1.1
# events), and never past BATCH_AGE seconds after the batch's first event: at a steady rate
# above one event per BATCH_WITHIN the queue is never empty for long, and without the age a
# batch held its first event until it had BATCH (the pipeline bench's intake p99 grew to 2.3 s
# at 190 alerts/s). docs/architecture.md "Throughput".
BATCH = 500
BATCH_WITHIN = 0.01
BATCH_AGE = 0.02


def batch_clock() -> float:
    """The event loop's clock, which `more_coming` compares a batch's start with."""
    return asyncio.get_running_loop().time()


async def more_coming(
    queue: Any, started: float, within: float = BATCH_WITHIN, age: float = BATCH_AGE
) -> bool:
    """Whether the batch begun at ``started`` (``batch_clock``) takes another event: the agent's
    queue (`relayed`) holds one, now or within ``within`` seconds (polled), and the batch is
    younger than ``age``."""
    loop = asyncio.get_running_loop()
    end = started + age
    deadline = min(loop.time() + within, end)
    while queue.empty():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.001)
    return loop.time() < end


def make_app(service: str, settings: Settings, *, principal: str | None = None) -> faust.App:
    """A faust App for one processor; its id (and so its consumer group) carries the namespace.
    It connects as the principal named like the service unless told otherwise (a bench tool
    runs as the bench's admin)."""
    namespace = settings.topic_namespace
    app_id = processor_id(service, namespace)
    datadir = settings.state_dir / "faust" / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        store=settings.faust_store,
        datadir=str(datadir),
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=MAX_MESSAGE_BYTES,
        producer_acks=-1,
        # Crash safety: faust drains the producer buffer before it commits (docs/architecture.md
        # "Crash safety of the allocator"); kept on.
        stream_wait_empty=True,
        # Throughput (docs/architecture.md "Throughput", measured with `corridor bench allocator`):
        # bigger polls and stream buffers, producer batches that fill for a few ms.
        **THROUGHPUT,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
        broker_credentials=faust_credentials(settings, principal or service),
    )
    static_membership(app, settings)  # its group.instance.id, claimed when a worker starts
    shorten_fetch_wait(app)  # no 1.5 s fetches of idle partitions while others wait (fetching.py)
    app.task(_quiet_root_logger)
    return app


async def _quiet_root_logger() -> None:
    """faust's worker sets the root logger to DEBUG (at `-l warn` and above) so that its
    terminal spinner sees every record; then every `log.debug` of faust and aiokafka builds a
    record that the handlers drop (7 % of the trivial agent's samples under py-spy). Once the
    worker runs, the root logger goes back to the level of the handlers that print."""
    root = logging.getLogger()
    levels = [h.level for h in root.handlers if type(h).__name__ != "SpinnerHandler"]
    root.setLevel(min((lv for lv in levels if lv > logging.NOTSET), default=logging.WARNING))


@asynccontextmanager
async def relayed(stream: faust.StreamT) -> AsyncIterator[asyncio.Queue[EventT | None]]:
    """The stream's events in a queue of the agent's own, filled by a task; ``None`` once the
    stream ends. A batched agent asks whether more is coming (`more_coming` on this queue) and
    then waits for the next event. On a stop or a rebalance faust empties the stream's queue and
    waits until the batch in hand is acknowledged: an agent waiting on the stream itself for the
    event its check had just seen waited for ever (SIGTERM mid-stream hung the allocator in 4 of
    6 tries). On its own queue the check says no, the batch ends and is acknowledged."""
    queue: asyncio.Queue[EventT | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in stream.events():
                queue.put_nowait(event)
        finally:
            queue.put_nowait(None)

    task = asyncio.ensure_future(pump())
    try:
        yield queue
        if task.done():
            task.result()  # the stream's error, if it ended with one
    finally:
        task.cancel()


class in_partition:  # lower case: used as a function, `with in_partition(event):`
    """Table writes in this block go to `event`'s changelog partition. faust picks the
    partition from the event being processed (a context variable its stream sets); an agent
    writing a batch's keys after the stream moved on sets it for each partition itself. A class,
    not a generator: intake enters it once per admission (docs/architecture.md "Intake's
    rate")."""

    __slots__ = ("event", "token")

    def __init__(self, event: EventT) -> None:
        self.event = event

    def __enter__(self) -> None:
        self.token = _current_event.set(weakref.ref(self.event))

    def __exit__(self, *exc: object) -> None:
        _current_event.reset(self.token)


def raw_topic(app: faust.App, settings: Settings, *names: str, **options: Any) -> faust.TopicT:
    """Catalogue topics (bytes in, bytes out), namespaced."""
    return app.topic(
        *(topic_name(n, settings.topic_namespace) for n in names),
        key_serializer="raw", value_serializer="raw", **options,
    )  # fmt: skip


def catalogue_name(topic: str, settings: Settings) -> str:
    """The catalogue name of a (possibly namespaced) broker topic."""
    prefix = f"{settings.topic_namespace}." if settings.topic_namespace else ""
    return topic.removeprefix(prefix)


def wall_clock() -> datetime:
    """Only intake reads a clock: it stamps the region log. Everyone else uses the log's time."""
    return datetime.now(UTC)


def main(app: faust.App) -> None:
    """Run the faust CLI of a processor. Workers start without faust's web server (it would
    listen on every interface; Corridor's HTTP face is the opscentre) unless asked for."""
    import sys

    argv = sys.argv[1:]
    if "worker" in argv and not any(a.startswith(("--with-web", "--without-web")) for a in argv):
        sys.argv.append("--without-web")
    app.main()
