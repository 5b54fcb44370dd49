#!/usr/bin/env python
"""Opening: the time to open and verify N sealed envelopes with the opening runner, end to end.
Beside it, the floor: the bare HPKE open and one CMS verification of the same envelopes.

    .venv/bin/python bench/opening.py            # 1,000 envelopes, embedded SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/opening.py -n 200

With DATABASE_URL the benchmark creates a database of its own on that PostgreSQL server and
drops it afterwards; without it, a SQLite file in a temporary folder, removed afterwards.

What happens, untimed: N verified suppliers, each with a bidder holding a certificate of the
platform CA and registered for one tender; each bidder's envelope (bid.json signed, sealed
to the tender's key, the sealed bytes signed) is made as their client would and submitted
through the submission service, receipts and all. The deadline is then moved into the past
and the two opening officers enter their shares, which rebuilds the opening key.

Timed: `bidding.opening.envelopes_open`, the runner the clock and the Celery task call: it
closes bidding, reveals the reserve prices, and for every envelope decrypts it, checks the
bid's format, the bidder's signature, the certificate's validity at the receipt time and
its company, then writes the result and its audit event, batch by batch, and publishes the
results. Every envelope must end opened.

Meanwhile a platform process (`manage.py serve`, as production serves) answers the public
opening's state, asked for again and again by one watcher: its latency before and during
the opening shows that the opening, run as production runs it (a background job in a
process of its own, here this script's), does not hold up the web process.

The floor, measured in the same run on the same envelopes, without the database: HPKE open,
contents parsed, and the inner CMS signature verified over bid.json, in a loop. Printed
apart as well, what checking each bidder's certificate costs, which the floor leaves out:
the full path validation (chain, validity, CRLs) and the shortcut the runner takes for the
platform's own certificates (the CA's signature, validity, usage, the register's
revocations), once per certificate.
"""

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from deadline_storm import start_servers  # noqa: E402
from people import django_ready, published_tender, registered_bidder  # noqa: E402 - bench/
from scratch import scratch_database  # noqa: E402

WATCH_BEFORE = 3.0  # seconds of latency measured before the opening starts


def prepare(env: dict, count: int):
    """Everything before the opening: people, certificates, the tender, N submitted bids,
    the deadline passed and the shares entered. Returns the opening key's id and, for the
    floor, each envelope with its info."""
    django_ready(env)
    from bidding import envelope
    from bidding.models import OpeningKey, OpeningShare
    from bidding.opening import opening_share_enter
    from bidding.opening_key import share_unseal
    from bidding.submission import bid_submit
    from core import clock
    from jangteo_client.common import detached_signature
    from procurement.models import Tender

    bench = published_tender(title="Opening bench", openers=2, threshold=2)
    tender = bench.tender
    print(f"  preparing {count} suppliers, certificates and submitted bids ...", flush=True)
    envelopes = []
    for n in range(count):
        bidder = registered_bidder(n, tender)
        code, key, certificate = bidder.code, bidder.key, bidder.certificate
        bid = envelope.bid_json(tender=tender.ocid, lot=1, supplier=code, amount=900_000_000 + n)
        info = envelope.seal_info(tender=tender.ocid, lot=1, supplier=code)
        contents = envelope.contents_pack(bid, detached_signature(key, certificate, bid))
        sealed = envelope.seal(contents, bench.public_key, info)
        bid_submit(
            tender_id=tender.pk,
            lot_number=1,
            sealed=sealed,
            signature=detached_signature(key, certificate, sealed),
            actor=bidder.user,
        )
        envelopes.append((sealed, info, certificate))
    # The deadline passes; the officers enter their shares and the key is rebuilt.
    Tender.objects.filter(pk=tender.pk).update(
        bid_close_at=clock.now() - timedelta(seconds=1), opening_at=clock.now()
    )
    tender.refresh_from_db()
    opening_key = OpeningKey.objects.get(tender=tender)
    for opener, receiving in bench.openers:
        sealed_share = OpeningShare.objects.get(opening_key=opening_key, officer=opener)
        share = share_unseal(
            bytes(sealed_share.sealed_share), receiving, tender=tender.ocid, officer=opener.pk
        )
        opening_share_enter(tender=tender, actor=opener, share=share)
    opening_key.refresh_from_db()
    if opening_key.rebuilt_at is None:
        raise SystemExit("the opening key did not rebuild from the officers' shares")
    return opening_key.pk, envelopes


def floor(envelopes: list, private_key) -> float:
    """Seconds for the bare work of each envelope: HPKE open, contents parsed, the inner
    CMS signature verified over bid.json. No database, no certificate path validation."""
    from bidding import envelope
    from esign.detached import detached_signer

    started = time.perf_counter()
    for sealed, info, _certificate in envelopes:
        contents = envelope.contents_unpack(envelope.unseal(sealed, private_key, info))
        detached_signer(contents.signature, contents.bid_json)
    return time.perf_counter() - started


def watch(url: str, stop, answers) -> None:
    """In a process of its own (not to share this one's interpreter with the opening): ask
    `url` one request after another until `stop` is set; put (when asked, latency in ms, or
    None when not answered 200) of each on `answers`."""
    while not stop.is_set():
        asked, started = time.time(), time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - loopback
                answer.read()
                ok = answer.status == 200
        except OSError:
            ok = False
        answers.put((asked, (time.perf_counter() - started) * 1000 if ok else None))
    answers.put(None)


def watched(answers) -> list[tuple[float, float | None]]:
    collected = []
    while (item := answers.get(timeout=60)) is not None:
        collected.append(item)
    return collected


def latency_line(values: list[float]) -> str:
    if len(values) < 2:
        return f"{len(values)} answers"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49]:6.1f} ms   p99 {cuts[98]:6.1f} ms   ({len(values)} answers)"


def certificate_checks(envelopes: list) -> tuple[float, float]:
    """Seconds for checking each envelope's certificate (every bidder has their own): by
    full path validation, and by the runner's check (`certificate_check_at`)."""
    from core import clock
    from esign.validation import certificate_check, certificate_check_at

    at = clock.now()
    spent = []
    for check in (certificate_check, certificate_check_at):
        started = time.perf_counter()
        for _sealed, _info, certificate in envelopes:
            if not check(certificate, at=at).trusted:
                raise SystemExit("a bidder's certificate is not trusted")
        spent.append(time.perf_counter() - started)
    return spent[0], spent[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--envelopes", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="jangteo-bench-opening-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "JANGTEO_CLOCK": "off",  # nobody but this script runs the opening
        "JANGTEO_PKI_PASSPHRASE": os.environ.get(
            "JANGTEO_PKI_PASSPHRASE", "bench-passphrase-0123456789"
        ),
        "MEDIA_ROOT": str(workdir / "media"),
    }
    # Without Redis, tasks run in-process: the k-th share enqueues no Celery opening that a
    # worker elsewhere could start before the timed runner.
    env.pop("REDIS_URL", None)
    drop = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], drop = scratch_database(os.environ["DATABASE_URL"], "jangteo_opening")
        database = "PostgreSQL"
    else:
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        database = "SQLite"
    servers = []
    try:
        started = time.perf_counter()
        key_id, envelopes = prepare(env, args.envelopes)
        prepared = time.perf_counter() - started
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from bidding.models import Bid, BidStatus, OpeningKey
        from bidding.opening import envelopes_open

        key = OpeningKey.objects.get(pk=key_id)
        ports, servers = start_servers(env, 1)
        spawn = multiprocessing.get_context("spawn")
        stop, answers = spawn.Event(), spawn.Queue()
        url = f"http://127.0.0.1:{ports[0]}/api/v1/tenders/{key.tender_id}/opening/"
        watcher = spawn.Process(target=watch, args=(url, stop, answers), daemon=True)
        watcher.start()
        time.sleep(WATCH_BEFORE)
        print(f"  opening {len(envelopes)} envelopes ...", flush=True)
        opening_began = time.time()
        started = time.perf_counter()
        if not envelopes_open(opening_key_id=key_id):
            raise SystemExit("another runner holds the opening")
        total = time.perf_counter() - started
        opening_ended = time.time()
        stop.set()
        asked = watched(answers)
        watcher.join(30)
        statuses = list(Bid.objects.filter(tender=key.tender_id).values_list("status", flat=True))
        opened, rejected = statuses.count(BidStatus.OPENED), statuses.count(BidStatus.REJECTED)
        print("  floor: the same envelopes opened and verified without the database ...")
        bare = floor(envelopes, X25519PrivateKey.from_private_bytes(bytes(key.private_key)))
        checks = certificate_checks(envelopes)
        report(len(envelopes), database, prepared, total, opened, rejected, bare, checks)
        failures = sum(1 for _at, latency in asked if latency is None)
        before = [ms for at, ms in asked if ms is not None and at < opening_began]
        during = [ms for at, ms in asked if ms is not None and opening_began <= at < opening_ended]
        print(
            f"  web process       before the opening {latency_line(before)}\n"
            f"                    during the opening {latency_line(during)}\n"
            f"                    (GET the tender's public opening state, one request after "
            f"another from a process of its own; {failures} not answered 200)"
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        from django.db import connections

        connections.close_all()
        if drop:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)
    if opened != len(envelopes):
        raise SystemExit(f"{len(envelopes) - opened} envelopes were not opened")


def report(count, database, prepared, total, opened, rejected, bare, checks) -> None:
    paths, shortcut = checks
    print(
        f"\nOpening: {count} envelopes, {database}, {os.cpu_count()} cores "
        f"(prepared in {prepared:.0f} s, untimed)\n"
        f"  opened            {opened:>6}   rejected {rejected}   (all must be opened)\n"
        f"  runner            {count / total:>8.1f} envelopes/s   "
        f"{total / count * 1000:6.2f} ms per envelope   {total:.2f} s in all\n"
        f"  floor             {count / bare:>8.1f} envelopes/s   "
        f"{bare / count * 1000:6.2f} ms per envelope   {bare:.2f} s in all\n"
        f"                    (the bare HPKE open and one CMS verification of each envelope, "
        f"no database)\n"
        f"  runner / floor    {bare / total:8.2f}\n"
        f"  certificates      {paths / count * 1000:8.2f} ms each by path validation, "
        f"{shortcut / count * 1000:.2f} ms by the runner's check, measured apart\n"
        f"                    (the runner checks each bidder's certificate once; the floor "
        f"does not)"
    )


if __name__ == "__main__":
    main()
