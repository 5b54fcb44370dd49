"""The benches' load: many keep-alive HTTP/1.1 connections posting prepared bodies.

The load runs on the same two cores as the platform and PostgreSQL, so whatever it spends
a request is taken from what it measures. One event loop drives every connection (no
thread per client taking turns at the interpreter lock), requests are written as bytes
made in one piece, and a response is only split into its status and body while the clock
runs: reading the receipts out of the bodies waits until the load is over (`outcomes`).
"""

import asyncio
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    sent: float  # time.monotonic() as the request was written
    answered: float  # ... once its response was read whole
    status: int  # 0: the connection failed before an answer came
    body: bytes


@dataclass(frozen=True)
class Outcome:
    sent: float
    answered: float
    status: int
    receipt: str | None  # the receipt's number, for an accepted bid
    received_at: str | None  # the receipt's time, for an accepted bid
    code: str | None  # the error's code, for a refused one


def post_all(
    ports: list[int], path: str, items: list, concurrency: int, *, until: float | None = None
) -> list[Answer]:
    """POST each (API token, JSON body) of `items` to `path` over `concurrency` connections,
    spread over `ports`, each with an Idempotency-Key of its own; stop early once
    time.monotonic() reaches `until`. Each connection has one request in flight."""
    return asyncio.run(_post_all(ports, path, items, concurrency, until))


async def _post_all(ports, path, items, concurrency, until) -> list[Answer]:
    work, answers = deque(items), []
    await asyncio.gather(
        *(_client(ports[n % len(ports)], path, work, answers, until) for n in range(concurrency))
    )
    return answers


def _request(path: str, token: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nIdempotency-Key: {secrets.token_urlsafe(16)}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _client(port, path, work: deque, answers: list, until) -> None:
    streams = None
    while work and (until is None or time.monotonic() < until):
        token, body = work.popleft()
        request = _request(path, token, body)
        sent = time.monotonic()
        try:
            if streams is None:
                streams = await asyncio.open_connection("127.0.0.1", port)
            async with asyncio.timeout(120):
                status, data, keep = await _exchange(*streams, request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            status, data, keep = 0, b"", False
        answers.append(Answer(sent, time.monotonic(), status, data))
        if not keep and streams is not None:
            streams[1].close()
            streams = None
    if streams is not None:
        streams[1].close()


async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes, bool]:
    """One request and its response: (status, body, whether the connection stays open)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    fields = head.lower()
    keep = b"\r\nconnection: close" not in fields
    length = _field(fields, b"content-length")
    if length is not None:
        return status, await reader.readexactly(int(length)), keep
    if _field(fields, b"transfer-encoding") == b"chunked":
        return status, await _chunked(reader), keep
    return status, await reader.read(), False  # the body ends with the connection


def _field(fields: bytes, name: bytes) -> bytes | None:
    start = fields.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    return fields[start : fields.index(b"\r\n", start)].strip()


async def _chunked(reader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")  # no trailers are sent; the last chunk's end
    return b"".join(parts)


def outcomes(answers: list[Answer]) -> list[Outcome]:
    """What each answer says: the receipt of an accepted bid, the code of a refused one."""
    found = []
    for answer in answers:
        receipt = received = code = None
        if answer.status in (200, 201):
            item = json.loads(answer.body)["receipts"][0]
            receipt, received = item["number"], item["receipt"]["received_at"]
        elif answer.body:
            try:
                code = json.loads(answer.body).get("code")
            except ValueError:
                code = None
        found.append(Outcome(answer.sent, answer.answered, answer.status, receipt, received, code))
    return found
