"""The ledger's database going away under a running opscentre (the real PostgreSQL behind a TCP
relay the test can cut, since the suite's database cannot be stopped): the API answers 503 with
a reason and Retry-After, not a 500, and answers again once the database is back."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from pydantic import SecretStr

from services.stack import process
from tests.integration.opscentre import OPERATOR_TOKEN, LiveServer, Partners, auth, settings_for

CHROMIUM = Path("/usr/bin/chromium")


class Relay:
    """127.0.0.1:port → the database, on a loop of its own (the app's server runs in a thread
    and starts while the test waits); ``cut()`` closes every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = process.free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def start(self) -> None:
        self._call(self._start())

    def cut(self) -> None:
        self._call(self._cut())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))


async def answer(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get("/api/v1/situation", headers=auth(OPERATOR_TOKEN))


async def test_the_api_says_503_while_the_ledger_database_is_away(database_url: str) -> None:
    url = urlsplit(database_url)
    relay = Relay(url.hostname or "127.0.0.1", url.port or 5432)
    relay.start()
    relayed = urlunsplit(url._replace(netloc=url.netloc.replace(f":{url.port}", f":{relay.port}")))
    settings = settings_for(relayed, "127.0.0.1:1", "unused")
    assert settings.database_url == SecretStr(relayed)
    with LiveServer(settings, Partners.covering("ZZ00000001").registry) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            assert (await answer(http)).status_code == 200
            relay.cut()
            away = await answer(http)
            assert away.status_code == 503, away.text
            assert away.json() == {"detail": "the ledger's database is not answering; retry"}
            assert away.headers["retry-after"] == "5"
            relay.start()  # the database is back
            for _ in range(100):
                back = await answer(http)
                if back.status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert back.status_code == 200, back.text
    relay.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
async def test_the_page_says_the_ledger_is_away_and_loads_again_once_it_is_back(
    database_url: str,
) -> None:
    from playwright.async_api import async_playwright

    url = urlsplit(database_url)
    relay = Relay(url.hostname or "127.0.0.1", url.port or 5432)
    relay.start()
    relayed = urlunsplit(url._replace(netloc=url.netloc.replace(f":{url.port}", f":{relay.port}")))
    settings = settings_for(relayed, "127.0.0.1:1", "unused")
    with LiveServer(settings, Partners.covering("ZZ00000001").registry) as server:
        relay.cut()  # before the page opens: it must still start, and say why it is empty
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            try:
                page = await browser.new_page()
                await page.goto(f"{server.url}/#token={OPERATOR_TOKEN}")
                away = page.locator("#ledger-down")
                await away.wait_for(state="visible")
                assert "The ledger's database is not answering" in await away.inner_text()
                relay.start()
                await page.evaluate("loadRejections()")  # as the page does every 15 s
                await away.wait_for(state="hidden")
                await page.wait_for_selector("#rejections li")  # everything loaded again
            finally:
                await browser.close()
    relay.close()
