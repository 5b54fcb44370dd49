#!/usr/bin/env python
"""Instructions a bid submission costs one platform process, counted by callgrind.

    .venv/bin/python bench/submission_instructions.py           # 100 bids, 8 clients
    .venv/bin/python bench/submission_instructions.py -n 300 -c 16

The deadline storm's rate and CPU times move with whatever else the machine does (runs of
the same code have differed by 20 % within an hour). The number of instructions the
platform executes does not: callgrind counts them, the same to a few parts in a thousand
from one run to the next, so two versions of the code can be compared by a change of 1 %.
An instruction is not a unit of time (the interpreter's instructions take longer than
OpenSSL's), so this figure ranks changes; the storm says what they are worth.

Needs valgrind and PostgreSQL (DATABASE_URL names the server, as for the storm); makes a
database of its own there and drops it. One `manage.py serve` runs under callgrind
(it starts in about a minute); the bench's clients submit signed, sealed envelopes over
HTTP as in the storm, and the counters are zeroed after a warm-up, so the figure is the
steady state of one request. Beside it, the floor: a static file's request through the
same server (uvicorn or daphne, the thread pool and two middlewares), the cost of HTTP alone.
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from deadline_storm import (  # noqa: E402 - bench/, this script's folder
    platform_environment,
    prepare,
    start_servers,
)
from http_load import post_all  # noqa: E402
from scratch import scratch_database  # noqa: E402

STATIC_PATH = "/static/css/site.css"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--submissions", type=int, default=100)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("-s", "--suppliers", type=int, default=50)
    parser.add_argument(
        "--server", choices=("uvicorn", "daphne"), default="uvicorn", help="HTTP server"
    )
    args = parser.parse_args()
    tools = {tool: shutil.which(tool) for tool in ("valgrind", "callgrind_control")}
    for tool, found in tools.items():
        if found is None:
            raise SystemExit(f"{tool} is needed (Debian's package valgrind)")
    server_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not server_url.startswith("postgres"):
        raise SystemExit("this benchmark needs PostgreSQL: set DATABASE_URL")
    database_url, drop = scratch_database(server_url, "jangteo_instructions")
    # The same dictionaries' layout in every run.
    env = {**platform_environment(database_url), "PYTHONHASHSEED": "0"}
    warm = 20
    server = None
    with tempfile.TemporaryDirectory() as folder:
        try:
            tender, bodies = prepare(env, args.suppliers, warm + args.submissions)
            out = Path(folder) / "callgrind.out"
            print("  starting one platform process under callgrind (about a minute) ...")
            wrapper = (tools["valgrind"], "--tool=callgrind", f"--callgrind-out-file={out}")
            [port], [server] = start_servers(
                env, 1, server=args.server, wrapper=wrapper, timeout=300
            )
            path = f"/api/v1/tenders/{tender.pk}/lots/1/bids"
            post_all([port], path, bodies[:warm], args.concurrency)
            _static_requests(port, 50, args.concurrency)
            print(f"  {args.submissions} submissions, {args.concurrency} clients ...")
            control = tools["callgrind_control"]
            bids = _counted(
                control,
                server.pid,
                folder,
                lambda: post_all([port], path, bodies[warm:], args.concurrency),
            )
            accepted = sum(1 for answer in bids.results if answer.status in (200, 201))
            statics = _counted(
                control,
                server.pid,
                folder,
                lambda: _static_requests(port, 4 * args.submissions, args.concurrency),
            )
        finally:
            if server is not None:
                server.terminate()
                server.wait(120)
            from django.db import connections

            connections.close_all()
            drop()
    per_bid = bids.instructions / len(bids.results)
    per_static = statics.instructions / len(statics.results)
    print()
    print(
        f"Submission instructions: one platform process ({args.server}) under callgrind, "
        f"{len(bids.results)} bids, {args.concurrency} clients, PostgreSQL"
    )
    print(
        f"  per bid           {per_bid / 1e6:7.2f} M instructions   "
        f"({accepted} of {len(bids.results)} accepted)"
    )
    print(
        f"  floor             {per_static / 1e6:7.2f} M instructions   "
        "a static file's request through the same server: HTTP alone"
    )
    print(f"  bid / floor       {per_bid / per_static:7.1f}")


class _Counted:
    def __init__(self, results, instructions: int):
        self.results, self.instructions = results, instructions


def _counted(control: str, pid: int, folder: str, work) -> _Counted:
    """Zero the server's counters, do `work`, dump them: the instructions `work` cost it."""
    subprocess.run([control, "-z", str(pid)], check=True, capture_output=True)
    results = work()
    before = set(Path(folder).iterdir())
    subprocess.run([control, "-d", "measured", str(pid)], check=True, capture_output=True)
    dumped = set(Path(folder).iterdir()) - before
    total = 0
    for path in dumped:
        # One file a thread part; each carries its own totals.
        match = re.search(rb"^(?:summary|totals): (\d+)", path.read_bytes(), re.MULTILINE)
        if match:
            total += int(match.group(1))
        path.unlink()
    return _Counted(results, total)


def _static_requests(port: int, count: int, concurrency: int) -> list:
    results, lock = [], threading.Lock()

    def client(times: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for _ in range(times):
            connection.request("GET", STATIC_PATH, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            with lock:
                results.append((0, 0, response.status))
        connection.close()

    threads = [
        threading.Thread(target=client, args=(count // concurrency,)) for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(status != 200 for _, _, status in results):
        raise SystemExit("a static file was not served")
    return results


if __name__ == "__main__":
    main()
