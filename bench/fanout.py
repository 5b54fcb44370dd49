#!/usr/bin/env python
"""Live fan-out: N WebSocket watchers of one tender, one status change, time until all have it.

Beside it, the floor measured in the same run: a bare `websockets` server broadcasting one
message to the same number of sockets. Both servers run in their own process; the watchers
run in this one.

    .venv/bin/python bench/fanout.py                 # 2,000 watchers, embedded default, uvicorn
    .venv/bin/python bench/fanout.py --server daphne # the same served by daphne
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/fanout.py -n 1000

The change is a cancellation made through the officer's page (an HTTP POST), so the event
travels the production path: service -> commit -> channel layer -> consumers -> sockets.
"""

import argparse
import asyncio
import http.cookiejar
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scratch import free_port  # noqa: E402 - bench/, this script's folder


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def prepare_platform(env: dict) -> int:
    """Migrate a fresh database and create one published tender; return its id."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from decimal import Decimal

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from django.utils import timezone

    from accounts.models import Membership, Organisation, Role, User
    from bidding.services import receiving_key_register
    from procurement import services
    from procurement.models import ProcedureType

    agency = Organisation.objects.create(kind="agency", name="Bench agency", code="B0001")
    officer = User.objects.create_user(username="officer", password="bench-password-1")
    Membership.objects.create(user=officer, organisation=agency, role=Role.PROCUREMENT_OFFICER)
    opener = User.objects.create_user(username="opener", password="bench-password-1")
    Membership.objects.create(user=opener, organisation=agency, role=Role.OPENING_OFFICER)
    receiving_key_register(
        actor=opener, public_key=X25519PrivateKey.generate().public_key().public_bytes_raw()
    )
    now = timezone.now()
    tender = services.tender_create(
        actor=officer,
        buyer=agency,
        procedure_type=ProcedureType.objects.get(code="lowest-price"),
        title="Fan-out bench",
        opening_officers=[opener],
        questions_close_at=now + timedelta(days=8),
        registration_close_at=now + timedelta(days=9),
        bid_open_at=now + timedelta(days=1),
        bid_close_at=now + timedelta(days=10),
        opening_at=now + timedelta(days=10, hours=1),
    )
    lot = services.lot_add(tender=tender, actor=officer, title="Lot", base_amount=1_000_000)
    services.item_add(
        lot=lot,
        actor=officer,
        description="Item",
        classification_scheme="CPV",
        classification_code="30190000",
        quantity=Decimal(1),
        unit="EA",
    )
    services.tender_publish(tender=tender, actor=officer)
    return tender.pk


def officer_session(base: str):
    """Sign in as the officer through the login form; return an opener and the CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": "officer", "password": "bench-password-1", "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(
        urllib.request.Request(
            f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
        )
    ).read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    return opener, token


async def connect_all(url: str, n: int, batch: int = 100, origin: str | None = None):
    """Open n sockets, `batch` at a time (daphne listens with a backlog of 50)."""
    sockets = []

    async def one():
        for attempt in range(5):
            try:
                ws = await websockets.connect(
                    url, origin=origin, open_timeout=30, max_queue=None, ping_interval=None
                )
                sockets.append(ws)
                return
            except (OSError, websockets.InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.2 * (attempt + 1))

    for start in range(0, n, batch):
        await asyncio.gather(*(one() for _ in range(min(batch, n - start))))
    return sockets


async def receive_times(sockets, predicate, timeout: float) -> list[float | None]:
    async def one(ws):
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await ws.recv()
                    if predicate(message):
                        return time.perf_counter()
        except (TimeoutError, websockets.ConnectionClosed):
            return None

    return await asyncio.gather(*(one(ws) for ws in sockets))


def summary(name: str, n: int, t0: float, times: list[float | None]) -> dict:
    got = sorted((t - t0) * 1000 for t in times if t is not None)
    result = {"name": name, "watchers": n, "connected": len(times), "delivered": len(got)}
    if got:
        result.update(
            p50=statistics.median(got),
            p99=got[min(len(got) - 1, int(len(got) * 0.99))],
            last=got[-1],
        )
    return result


async def bench_platform(n: int, env: dict, timeout: float, server_kind: str) -> dict:
    tender_id = await asyncio.to_thread(prepare_platform, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--server", server_kind],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server)
        sockets = await connect_all(
            f"ws://127.0.0.1:{port}/ws/tenders/{tender_id}/", n, origin=base
        )
        await asyncio.gather(*(ws.recv() for ws in sockets))  # every hello
        opener, token = officer_session(base)
        data = urllib.parse.urlencode(
            {"reason": "fan-out bench", "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{base}/agency/tenders/{tender_id}/cancel/", data=data, headers={"Referer": base}
        )
        waiting = asyncio.create_task(
            receive_times(sockets, lambda m: "tender.cancelled" in m, timeout)
        )
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await asyncio.to_thread(lambda: opener.open(request).read())
        request_ms = (time.perf_counter() - t0) * 1000
        times = await waiting
        for ws in sockets:
            await ws.close()
        name = f"jangteo ({server_kind} + channels)"
        return {**summary(name, n, t0, times), "request_ms": request_ms}
    finally:
        server.terminate()
        server.wait(10)


FLOOR_SERVER = """
import asyncio, sys, websockets
clients = set()
async def handler(ws):
    clients.add(ws)
    try:
        async for message in ws:
            if message == "go":
                websockets.broadcast(clients - {ws}, '{"type": "event", "kind": "go"}')
    finally:
        clients.discard(ws)
async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), backlog=2048,
                                ping_interval=None):
        await asyncio.Future()
asyncio.run(main())
"""


async def bench_floor(n: int, timeout: float) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", FLOOR_SERVER, str(port)])
    try:
        wait_for_port(port, server)
        sockets = await connect_all(f"ws://127.0.0.1:{port}/", n)
        control = (await connect_all(f"ws://127.0.0.1:{port}/", 1))[0]
        waiting = asyncio.create_task(receive_times(sockets, lambda m: '"go"' in m, timeout))
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await control.send("go")
        times = await waiting
        for ws in [*sockets, control]:
            await ws.close()
        return summary("floor (bare websockets broadcast)", n, t0, times)
    finally:
        server.terminate()
        server.wait(10)


def show(result: dict) -> None:
    delivered = 100 * result["delivered"] / result["watchers"]
    line = (
        f"  {result['name']:<36} connected {result['connected']:>5}  delivered {delivered:6.2f} %"
    )
    if "p50" in result:
        line += (
            f"  p50 {result['p50']:8.1f} ms  p99 {result['p99']:8.1f} ms  "
            f"all {result['last']:8.1f} ms"
        )
    print(line)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--watchers", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument(
        "--server", choices=("uvicorn", "daphne"), default="uvicorn", help="platform's server"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="jangteo-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "JANGTEO_CLOCK": "off",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(workdir / "media"),
    }
    if not env.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    layer = "Redis pub/sub" if env.get("REDIS_URL") else "in-memory"
    database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    print(
        f"Live fan-out: {args.watchers} watchers of one tender, one cancellation "
        f"(channel layer: {layer}, database: {database}, {os.cpu_count()} cores)"
    )
    platform = await bench_platform(args.watchers, env, args.timeout, args.server)
    floor = await bench_floor(args.watchers, args.timeout)
    show(platform)
    show(floor)
    print(
        f"  (the cancellation's HTTP request itself took {platform['request_ms']:.1f} ms of "
        "the platform's time)"
    )
    if "p99" in platform and "p99" in floor and floor["p99"] > 0:
        print(f"  platform p99 / floor p99 = {platform['p99'] / floor['p99']:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
