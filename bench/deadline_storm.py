#!/usr/bin/env python
"""Deadline storm: S suppliers submit signed, sealed bids to one lot over HTTP, then keep
submitting past the deadline. Beside it, the floor: bare PostgreSQL inserts of the same rows.

    .venv/bin/python bench/deadline_storm.py            # 500 suppliers, 2,000 submissions
    .venv/bin/python bench/deadline_storm.py -s 100 -n 500 --servers 1

Needs PostgreSQL: DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/);
the benchmark creates a database of its own there and drops it afterwards.

What happens: every supplier gets a verified company, a bidder with a certificate of the
platform CA and an API token, and a registration for the tender. Envelopes (bid.json signed,
sealed to the tender's key, the sealed bytes signed) are all made before the clock starts, as
each bidder's client would. The deadline is then set W seconds ahead, `--servers` platform
processes start (uvicorn as in production, or daphne; the database's clock authoritative), and C
client connections, all on one event loop (bench/http_load.py), send the submissions (each
supplier's first bid and its replacements, 4 per supplier by default). Once they are sent the
clients wait for the last two seconds before the deadline and submit continuously until two
seconds after it.

Printed: sustained accepted bids/s and p50/p99 latency of the storm; lost (a receipt was
returned but the bid is not in the database: must be 0); late accepted (received at or after
the deadline: must be 0); refused early (refused as late although sent and answered before the
deadline); and the floor, measured in the same run: the same rows inserted into a bare table
by as many connections, one transaction each.
"""

import argparse
import base64
import hashlib
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from http_load import outcomes, post_all  # noqa: E402 - bench/, this script's folder
from scratch import free_port, scratch_database  # noqa: E402

TARGET = 300  # accepted bids/s: the year-end 10:00 rush of the national system


def prepare(env: dict, suppliers: int, submissions: int):
    """Everything before the storm: people, certificates, the tender, the envelopes."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID
    from django.utils import timezone

    from accounts.models import Membership, Organisation, OrganisationKind, Role, User
    from accounts.tokens import api_token_create
    from bidding import envelope
    from bidding.models import TenderRegistration
    from bidding.services import receiving_key_register
    from core import clock
    from esign.authority import pki_initialise
    from esign.services import certificate_issue
    from procurement import services
    from procurement.management.commands.seed_demo import demo_procedure
    from suppliers.models import Supplier

    pki_initialise(now=clock.now())
    agency = Organisation.objects.create(kind=OrganisationKind.AGENCY, name="Bench", code="B1")
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
        procedure_type=demo_procedure("lowest-price"),
        title="Deadline storm",
        opening_officers=[opener],
        questions_close_at=now + timedelta(hours=1),
        registration_close_at=now + timedelta(hours=1),
        bid_open_at=now - timedelta(minutes=1),
        bid_close_at=now + timedelta(hours=2),
        opening_at=now + timedelta(hours=2),
    )
    lot = services.lot_add(tender=tender, actor=officer, title="Lot", base_amount=1_000_000_000)
    services.item_add(
        lot=lot, actor=officer, description="Item", classification_scheme="CPV",
        classification_code="30190000", quantity=1, unit="EA",
    )  # fmt: skip
    tender = services.tender_publish(tender=tender, actor=officer)
    public_key = X25519PublicKey.from_public_bytes(bytes.fromhex(tender.opening_public_key))

    def sign(key, certificate, content):
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(content)
            .add_signer(certificate, key, hashes.SHA256())
            .sign(
                serialization.Encoding.DER,
                [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
            )
        )

    print(f"  preparing {suppliers} suppliers with certificates and registrations ...", flush=True)
    people = []
    for n in range(suppliers):
        brn = f"{n + 1:03d}" + "8" + f"{n:05d}"  # not checked here: bench-only organisations
        company = Organisation.objects.create(
            kind=OrganisationKind.COMPANY, name=f"Company {n}", code=brn[:9] + "0"
        )
        supplier = Supplier.objects.create(
            organisation=company, status="verified", registered_at=now, representative="-"
        )
        user = User.objects.create_user(username=f"bidder{n}", password="bench-password-1")
        Membership.objects.create(user=user, organisation=company, role=Role.BIDDER)
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")]))
            .sign(key, hashes.SHA256())
        )
        record = certificate_issue(
            holder=user,
            organisation=company,
            csr_data=csr.public_bytes(serialization.Encoding.PEM),
            actor=user,
        )
        TenderRegistration.objects.create(
            tender=tender, supplier=supplier, registered_by=user, registered_at=now
        )
        token = api_token_create(user=user, name="bench")[1]
        people.append(
            (company.code, key, x509.load_pem_x509_certificate(record.pem.encode()), token)
        )
    print(f"  sealing and signing {submissions} envelopes ...", flush=True)
    bodies = []
    for n in range(submissions):
        brn, key, certificate, token = people[n % suppliers]
        bid = envelope.bid_json(tender=tender.ocid, lot=1, supplier=brn, amount=900_000_000 + n)
        contents = envelope.contents_pack(bid, sign(key, certificate, bid))
        sealed = envelope.seal(
            contents, public_key, envelope.seal_info(tender=tender.ocid, lot=1, supplier=brn)
        )
        body = json.dumps(
            {
                "envelope": base64.b64encode(sealed).decode(),
                "signature": base64.b64encode(sign(key, certificate, sealed)).decode(),
            }
        ).encode()
        bodies.append((token, body))
    return tender, bodies


def floor(database_url: str, bodies: list, concurrency: int) -> float:
    """Rows per second when the same rows go straight into PostgreSQL, one transaction each."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE bench_floor (LIKE bidding_bid INCLUDING DEFAULTS); "
            "ALTER TABLE bench_floor ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
        )
        tender, lot, supplier, user, certificate = connection.execute(
            "SELECT t.id, l.id, s.id, u.id, c.id FROM procurement_tender t "
            "JOIN procurement_lot l ON l.tender_id = t.id, suppliers_supplier s, "
            "accounts_user u, esign_certificate c LIMIT 1"
        ).fetchone()
    work = queue.Queue()
    for _token, body in bodies:
        work.put(json.loads(body))
    done = []

    def worker():
        with psycopg.connect(database_url) as connection:
            while True:
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                sealed = base64.b64decode(item["envelope"])
                with connection.transaction():
                    connection.execute(
                        "INSERT INTO bench_floor (tender_id, lot_id, supplier_id, submitted_by_id,"
                        " certificate_id, sealed, outer_signature, sha256, size, received_at,"
                        " status, idempotency_key, request_digest, signer, rejection_code,"
                        " rejection_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now(),"
                        " 'sealed', '', '', '', '', '')",
                        (tender, lot, supplier, user, certificate, sealed,
                         base64.b64decode(item["signature"]),
                         hashlib.sha256(sealed).hexdigest(), len(sealed)),
                    )  # fmt: skip
                done.append(1)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(done) / (time.perf_counter() - started)


def platform_environment(database_url: str) -> dict:
    """The platform processes' environment: production settings on `database_url`, the
    database's clock authoritative, no tender clock of their own."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url,
        "JANGTEO_CLOCK": "off",
        "JANGTEO_AUTHORITATIVE_CLOCK": "database",
        "JANGTEO_PKI_PASSPHRASE": os.environ.get(
            "JANGTEO_PKI_PASSPHRASE", "bench-passphrase-0123456789"
        ),
    }


def start_servers(
    env: dict,
    count: int,
    *,
    server: str = "uvicorn",
    wrapper: tuple[str, ...] = (),
    timeout: float = 60,
) -> tuple[list[int], list[subprocess.Popen]]:
    """`count` platform processes (`manage.py serve --server <server>`, run under `wrapper`
    if one is given) on free ports, once each accepts connections."""
    ports, processes = [], []
    (ROOT / "var").mkdir(exist_ok=True)
    for _ in range(count):
        port = free_port()
        log = (ROOT / "var" / f"bench-server-{port}.log").open("w")
        processes.append(
            subprocess.Popen(
                [*wrapper, sys.executable, "manage.py", "serve", "--port", str(port)]
                + ["--server", server],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        ports.append(port)
    for port, process in zip(ports, processes, strict=True):
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("a platform server did not start") from None
                time.sleep(0.2)
    return ports, processes


def percentile(values, q):
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-s", "--suppliers", type=int, default=500)
    parser.add_argument("-n", "--submissions", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--servers", type=int, default=2, help="platform processes")
    parser.add_argument(
        "--server", choices=("uvicorn", "daphne"), default="uvicorn", help="HTTP server"
    )
    parser.add_argument("-w", "--window", type=float, default=90, help="seconds to the deadline")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not server_url.startswith("postgres"):
        raise SystemExit("the deadline storm needs PostgreSQL: set DATABASE_URL")
    database_url, drop = scratch_database(server_url, "jangteo_storm")
    env = platform_environment(database_url)
    processes = []
    try:
        tender, bodies = prepare(env, args.suppliers, args.submissions)
        print(f"  floor: {len(bodies)} bare inserts over {args.concurrency} connections ...")
        floor_rate = floor(database_url, bodies, args.concurrency)
        ports, processes = start_servers(env, args.servers, server=args.server)
        path = f"/api/v1/tenders/{tender.pk}/lots/1/bids"
        from django.db import connection

        from procurement.models import Tender

        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            deadline = cursor.fetchone()[0] + timedelta(seconds=args.window)
        Tender.objects.filter(pk=tender.pk).update(bid_close_at=deadline, opening_at=deadline)
        deadline_mono = time.monotonic() + args.window
        print(
            f"  storm: {len(bodies)} submissions, {args.concurrency} clients, "
            f"{args.servers} platform processes, deadline in {args.window:.0f} s ..."
        )
        reference_before = reference_work()
        cpu_before = cpu_seconds(processes)
        storm = post_all(ports, path, bodies, args.concurrency)
        cpu_after = cpu_seconds(processes)
        cpu = [after - before for after, before in zip(cpu_after, cpu_before, strict=True)]
        wait = deadline_mono - 2 - time.monotonic()
        if wait < 0:
            print("  (the storm ran into the deadline: raise --window)")
        time.sleep(max(wait, 0))
        edge = post_all(ports, path, bodies * 2, args.concurrency, until=deadline_mono + 2)
        reference = (reference_before + reference_work()) / 2
        storm, edge = outcomes(storm), outcomes(edge)  # the clock has stopped: parse now
        report(storm, edge, deadline, deadline_mono, floor_rate, args, tender, cpu, reference)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        from django.db import connections

        connections.close_all()
        drop()


def cpu_seconds(servers) -> tuple[float, float, float, float, int]:
    """CPU time used so far by the platform processes, this process (the clients) and
    PostgreSQL's processes on this machine, the platform's system time among it, and the
    machine's context switches (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")

    def times(pid) -> tuple[float, float]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0, 0.0
        return int(fields[11]) / tick, int(fields[12]) / tick

    postgres = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    postgres += sum(times(entry.name))
            except OSError:
                continue
    own = os.times()
    platform = [times(p.pid) for p in servers]
    return (
        sum(user + system for user, system in platform),
        own.user + own.system,
        postgres,
        sum(system for _user, system in platform),
        switches_machine(),
    )


def switches_machine() -> int:
    """Context switches on the whole machine so far (Linux /proc/stat)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("ctxt "):
            return int(line.split()[1])
    return 0


def reference_work() -> float:
    """CPU milliseconds of a fixed piece of work like a submission's (JSON, hashing, an ECDSA
    signature and its check, Python objects), on an idle core just before and after the
    storm. Shared machines run the same code faster on some days than on others: CPU per
    bid divided by this compares runs made on different days."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.derive_private_key(7, ec.SECP256R1())
    document = {"tender": "ocds-jt-0001", "lot": 1, "items": [{"n": n} for n in range(40)]}

    def work(times: int) -> None:
        for n in range(times):
            data = json.dumps({**document, "n": n}, sort_keys=True).encode()
            digest = hashlib.sha256(data * 8).digest()
            signature = key.sign(digest, ec.ECDSA(hashes.SHA256()))
            key.public_key().verify(signature, digest, ec.ECDSA(hashes.SHA256()))
            sorted(json.loads(data)["items"], key=lambda item: -item["n"])

    work(50)  # warm
    started = time.process_time()
    work(500)
    return (time.process_time() - started) * 1000


def report(storm, edge, deadline, deadline_mono, floor_rate, args, tender, cpu, reference):
    from bidding.models import Bid, Receipt
    from core.audit import sealed_stream, verify_stream

    accepted = [r for r in storm if r.status == 201]
    failed = [r for r in storm if r.status != 201]
    span = max(r.answered for r in accepted) - min(r.sent for r in accepted) if accepted else 1
    latencies = [(r.answered - r.sent) * 1000 for r in accepted]
    receipts = [r.receipt for r in storm + edge if r.receipt]
    stored = set(Receipt.objects.filter(number__in=receipts).values_list("number", flat=True))
    late_in_db = Bid.objects.filter(received_at__gte=deadline).count()
    edge_accepted = [r for r in edge if r.status == 201]
    edge_refused = [r for r in edge if r.status == 409 and r.code == "deadline"]
    refused_early = [r for r in edge_refused if r.answered < deadline_mono - 0.05]
    rate = len(accepted) / span
    chain = verify_stream(sealed_stream(tender.ocid))
    print(
        f"\nDeadline storm: {args.suppliers} suppliers, {len(storm)} submissions, "
        f"{args.concurrency} clients, {args.servers} platform processes ({args.server}), "
        f"PostgreSQL, {os.cpu_count()} cores\n"
        f"  accepted          {len(accepted):>6}   ({len(failed)} not accepted: "
        f"{sorted({(r.status, r.code) for r in failed}, key=str)})\n"
        f"  sustained rate    {rate:>8.1f} bids/s   (target {TARGET})\n"
        f"  latency           p50 {percentile(latencies, 50):7.1f} ms   "
        f"p99 {percentile(latencies, 99):7.1f} ms\n"
        f"  at the deadline   {len(edge_accepted)} accepted in its last 2 s, "
        f"{len(edge_refused)} refused as late in the 2 s after\n"
        f"  lost              {len(receipts) - len(stored):>6}   (must be 0)\n"
        f"  late accepted     {late_in_db:>6}   (must be 0)\n"
        f"  refused early     {len(refused_early):>6}   (must be 0)\n"
        f"  audit chain       {'intact' if chain is None else chain}\n"
        f"  CPU per bid       platform {cpu[0] / len(storm) * 1000:.2f} ms, clients "
        f"{cpu[1] / len(storm) * 1000:.2f} ms, PostgreSQL {cpu[2] / len(storm) * 1000:.2f} ms"
        f" (during the storm, per submission sent)\n"
        f"  platform detail   system {cpu[3] / len(storm) * 1000:.2f} ms of it, "
        f"{cpu[4] / len(storm):.0f} context switches per bid on the machine\n"
        f"  reference work    {reference:8.1f} ms of CPU for the same fixed work "
        f"(smaller on a faster machine; compare CPU per bid / reference across days)\n"
        f"  floor             {floor_rate:>8.1f} rows/s bare PostgreSQL inserts of the same "
        f"rows, same concurrency\n"
        f"  platform / floor  {rate / floor_rate:8.2f}"
    )


if __name__ == "__main__":
    main()
