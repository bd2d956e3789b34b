"""An answer over the size cap is a malformed answer, and reading it stops at the cap.

Before, every vendor answer was read whole into memory and then decoded: a 100 MiB answer took the
process to 1.5 GiB. Now :func:`bridge.http.send` streams the body and stops at
``max_answer_bytes`` (decoded, so a small gzip bomb counts what it unpacks to); a Content-Length
over the cap is refused before a byte of the body is read. Over real loopback HTTP, a chunked
answer without a Content-Length stops the read at the cap, and the server is left unread.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
import pytest

from bridge.errors import MalformedResponseError
from bridge.http import DEFAULT_MAX_ANSWER_BYTES, loads_answer, send
from bridge.seatsio import SeatsioClient
from bridge.tessitura import RetryPolicy, TessituraClient

MIB = 2**20
CAP = MIB


def client(
    handler: httpx.MockTransport | None = None, base: str = "http://vendor.test"
) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, transport=handler)


def answering(body: bytes, **headers: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers=headers))


async def get(
    http: httpx.AsyncClient, cap: int = CAP, method: str = "GET"
) -> MalformedResponseError | bytes:
    sent = await send(
        http,
        method,
        "/answer",
        vendor="seats.io",
        timeout_s=5.0,
        max_answer_bytes=cap,
        changes_state=method != "GET",
    )
    if sent.failure is not None:
        assert isinstance(sent.failure, MalformedResponseError), sent.failure
        return sent.failure
    assert sent.response is not None
    return sent.response.content


async def test_an_answer_at_the_cap_is_read_whole() -> None:
    body = b"[" + b" " * (CAP - 2) + b"]"
    async with client(answering(body)) as http:
        assert await get(http) == body


async def test_an_answer_one_byte_over_the_cap_is_malformed_naming_the_request_and_setting() -> (
    None
):
    async with client(answering(b" " * (CAP + 1))) as http:
        failure = await get(http)
    assert isinstance(failure, MalformedResponseError)
    message = str(failure)
    assert message.startswith("seats.io HTTP 200: GET /answer: an answer over 1 MiB")
    assert "[seatsio] max_answer_mib" in message and "\n" not in message


async def test_a_write_whose_answer_is_too_big_says_the_change_was_applied() -> None:
    async with client(answering(b" " * (CAP + 1))) as http:
        failure = await get(http, method="POST")
    assert isinstance(failure, MalformedResponseError)
    assert "the change was applied" in str(failure)


async def test_a_gzip_bomb_is_counted_by_what_it_unpacks_to() -> None:
    bomb = gzip.compress(b" " * (20 * MIB))  # some 20 KiB on the wire
    assert len(bomb) < CAP
    async with client(answering(bomb, **{"Content-Encoding": "gzip"})) as http:
        assert isinstance(await get(http), MalformedResponseError)


def test_the_default_cap_fits_the_biggest_sandbox_answer_with_room() -> None:
    """The whole-event byLabel report of the portfolio hall (3,000 seats) is 2.3 MiB, the
    biggest answer the bridge reads there (object infos come 1,000 labels at a time: 230 KiB)."""
    assert DEFAULT_MAX_ANSWER_BYTES == 16 * MIB
    assert DEFAULT_MAX_ANSWER_BYTES > 6 * 2.3 * MIB


# -- over real loopback HTTP -------------------------------------------------------------------


class Server:
    """A raw HTTP/1.1 server on loopback that answers every request with ``head`` and then,
    if ``chunks`` is set, that many 64 KiB chunks of chunked body; it counts what it sent."""

    def __init__(self, head: bytes, chunks: int = 0) -> None:
        self.head = head
        self.chunks = chunks
        self.sent = 0
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(self.head)
            await writer.drain()
            piece = b" " * (64 * 1024)
            for _ in range(self.chunks):
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                await writer.drain()
                self.sent += len(piece)
            if self.chunks:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
            else:
                await asyncio.sleep(30)  # never sends the body it announced
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.done.set()
            writer.close()


async def serving(server: Server) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()


CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.loopback
async def test_a_100_mib_chunked_answer_without_content_length_stops_at_the_cap() -> None:
    server = Server(CHUNKED, chunks=1600)  # 100 MiB
    async for url in serving(server):
        async with httpx.AsyncClient(base_url=url) as http:
            failure = await get(http)
        assert isinstance(failure, MalformedResponseError)
        await asyncio.wait_for(server.done.wait(), 5)
    # the client hung up at the cap: the server got rid of a few socket buffers more, not 100 MiB
    assert server.sent < 20 * MIB


@pytest.mark.loopback
async def test_a_content_length_over_the_cap_is_refused_before_the_body_is_read() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    server = Server(head % (100 * MIB))  # and then no body at all: reading it would time out
    async for url in serving(server):
        async with httpx.AsyncClient(base_url=url) as http:
            failure = await asyncio.wait_for(get(http), 3)
    assert isinstance(failure, MalformedResponseError) and "over 1 MiB" in str(failure)


@pytest.mark.loopback
async def test_a_content_length_under_the_cap_on_a_gzip_body_over_it_is_counted_decoded() -> None:
    bomb = gzip.compress(b" " * (8 * MIB))
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(bomb)
    )
    server = Server(head + bomb)
    async for url in serving(server):
        async with httpx.AsyncClient(base_url=url) as http:
            failure = await asyncio.wait_for(get(http), 3)
    assert isinstance(failure, MalformedResponseError)


# -- both clients ------------------------------------------------------------------------------


async def test_the_tessitura_client_refuses_an_answer_over_its_cap() -> None:
    body = b"[" + b" " * CAP + b"]"
    tessitura = TessituraClient(
        "http://tessitura.test/TessituraService/",
        "u",
        "g",
        "l",
        "secret",
        transport=answering(body, **{"Content-Type": "application/json"}),
        retry=RetryPolicy.immediate(),
        max_answer_bytes=CAP,
    )
    async with tessitura:
        with pytest.raises(MalformedResponseError, match="over 1 MiB"):
            await tessitura.seat_holds(201)


async def test_the_seatsio_client_refuses_an_answer_over_its_cap_and_does_not_repeat_it() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=b"{" + b" " * CAP + b"}")

    seatsio = SeatsioClient(
        "secret",
        base_url="http://seatsio.test",
        transport=httpx.MockTransport(handler),
        max_answer_bytes=CAP,
    )
    async with seatsio:
        with pytest.raises(MalformedResponseError, match="GET /events/perf-1/objects"):
            await seatsio.reports.object_infos("perf-1", ["A-1"])
    assert len(calls) == 1


def test_loads_answer_reads_a_utf8_bom_as_json_loads_did() -> None:
    assert loads_answer(b"\xef\xbb\xbf[1]") == [1]
