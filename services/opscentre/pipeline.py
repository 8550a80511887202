"""Whether the processors keep up, for the operations room: is anything stuck?

One task per server process looks at every processor's backlog every ``late_every`` seconds
(services/stack/backlog.py: the records its group has not committed past), never per request.
The opscentre's principal may describe the processors' groups and topics but read none of their
records (the ACL table), so there is no record age here: instead, how long a processor has had
records waiting without committing past any (``stalled_seconds``), measured between looks. The
dashboard shows a line when one has been stalled ``late_after`` seconds; counts only.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import structlog

from services.config import Settings
from services.opscentre.models import Pipeline, ProcessorProgress
from services.stack.backlog import Progress, current

log = structlog.get_logger()


class PipelineWatch:
    """The task that looks, and the last answer (``checked_at`` None before the first look)."""

    def __init__(self, settings: Settings, pool: Any) -> None:
        self.settings, self.pool = settings, pool
        self.progress = Progress()
        self.last = Pipeline(checked_at=None, late_after_seconds=settings.late_after,
                             processors=[])  # fmt: skip
        self.failing_since: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def answer(self, now: datetime) -> Pipeline:
        """The last look, said to be stale once the looks have failed for ``late_after``."""
        failing = self.failing_since
        stale = failing is not None and (now - failing).total_seconds() > self.settings.late_after
        return self.last.model_copy(update={"stale": stale})

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pipeline-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def look(self) -> None:
        found = await current(self.settings, principal="opscentre", oldest=False, db=self.pool)
        now = datetime.now(UTC)
        processors = [
            ProcessorProgress(processor=each.processor, workers=each.workers,
                              waiting=each.total, stalled_seconds=stalled)
            for each, stalled in self.progress.looked(found, now)
        ]  # fmt: skip
        self.last = self.last.model_copy(update={"checked_at": now, "processors": processors})

    async def _run(self) -> None:
        while True:
            try:
                await self.look()
                self.failing_since = None
            except Exception as exc:  # the broker restarting: the last answer stays, dated
                self.failing_since = self.failing_since or datetime.now(UTC)
                log.warning("opscentre.pipeline_unknown", error=type(exc).__name__,
                            detail=str(exc)[:200])  # fmt: skip
            await asyncio.sleep(self.settings.late_every)
