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

The floor, measured in the same run on the same envelopes, without the database: HPKE open,
contents parsed, and the inner CMS signature verified over bid.json, in a loop. Printed
apart as well: the full validation of each bidder's certificate (chain, validity, CRLs),
which the runner makes once per certificate and the floor leaves out.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scratch import scratch_database  # noqa: E402 - bench/, this script's folder


def prepare(env: dict, count: int):
    """Everything before the opening: people, certificates, the tender, N submitted bids,
    the deadline passed and the shares entered. Returns the opening key's id and, for the
    floor, each envelope with its info."""
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
    from bidding import envelope
    from bidding.models import OpeningKey, OpeningShare, TenderRegistration
    from bidding.opening import opening_share_enter
    from bidding.opening_key import share_unseal
    from bidding.services import receiving_key_register
    from bidding.submission import bid_submit
    from core import clock
    from esign.authority import pki_initialise
    from esign.services import certificate_issue
    from procurement import services
    from procurement.management.commands.seed_demo import demo_procedure
    from procurement.models import Tender
    from suppliers.models import Supplier

    pki_initialise(now=clock.now())
    agency = Organisation.objects.create(kind=OrganisationKind.AGENCY, name="Bench", code="B1")
    officer = User.objects.create_user(username="officer", password="bench-password-1")
    Membership.objects.create(user=officer, organisation=agency, role=Role.PROCUREMENT_OFFICER)
    openers = []
    for n in (1, 2):
        opener = User.objects.create_user(username=f"opener{n}", password="bench-password-1")
        Membership.objects.create(user=opener, organisation=agency, role=Role.OPENING_OFFICER)
        receiving = X25519PrivateKey.generate()
        receiving_key_register(actor=opener, public_key=receiving.public_key().public_bytes_raw())
        openers.append((opener, receiving))
    now = timezone.now()
    tender = services.tender_create(
        actor=officer,
        buyer=agency,
        procedure_type=demo_procedure("lowest-price"),
        title="Opening bench",
        opening_officers=[opener for opener, _ in openers],
        opening_threshold=2,
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

    print(f"  preparing {count} suppliers, certificates and submitted bids ...", flush=True)
    envelopes = []
    for n in range(count):
        # ten digits like a registration number, not checked here: bench-only companies
        company = Organisation.objects.create(
            kind=OrganisationKind.COMPANY, name=f"Company {n}", code=f"8{n:08d}0"
        )
        supplier = Supplier.objects.create(
            organisation=company, status="verified", registered_at=now, representative="-"
        )
        # no password: hashing one costs more than everything else a bidder needs here
        user = User.objects.create_user(username=f"bidder{n}")
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
        certificate = x509.load_pem_x509_certificate(record.pem.encode())
        TenderRegistration.objects.create(
            tender=tender, supplier=supplier, registered_by=user, registered_at=now
        )
        bid = envelope.bid_json(
            tender=tender.ocid, lot=1, supplier=company.code, amount=900_000_000 + n
        )
        info = envelope.seal_info(tender=tender.ocid, lot=1, supplier=company.code)
        contents = envelope.contents_pack(bid, sign(key, certificate, bid))
        sealed = envelope.seal(contents, public_key, info)
        bid_submit(
            tender_id=tender.pk,
            lot_number=1,
            sealed=sealed,
            signature=sign(key, certificate, sealed),
            actor=user,
        )
        envelopes.append((sealed, info, certificate))
    # The deadline passes; the officers enter their shares and the key is rebuilt.
    Tender.objects.filter(pk=tender.pk).update(
        bid_close_at=clock.now() - timedelta(seconds=1), opening_at=clock.now()
    )
    tender.refresh_from_db()
    opening_key = OpeningKey.objects.get(tender=tender)
    for opener, receiving in openers:
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


def path_validations(envelopes: list) -> float:
    """Seconds for the full validation (chain, validity, revocation) of each envelope's
    certificate, as the runner makes once per certificate: here every bidder has their own."""
    from core import clock
    from esign.validation import certificate_check

    at = clock.now()
    started = time.perf_counter()
    for _sealed, _info, certificate in envelopes:
        if not certificate_check(certificate, at=at).trusted:
            raise SystemExit("a bidder's certificate is not trusted")
    return time.perf_counter() - started


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
    try:
        started = time.perf_counter()
        key_id, envelopes = prepare(env, args.envelopes)
        prepared = time.perf_counter() - started
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from bidding.models import Bid, BidStatus, OpeningKey
        from bidding.opening import envelopes_open

        print(f"  opening {len(envelopes)} envelopes ...", flush=True)
        started = time.perf_counter()
        if not envelopes_open(opening_key_id=key_id):
            raise SystemExit("another runner holds the opening")
        total = time.perf_counter() - started
        key = OpeningKey.objects.get(pk=key_id)
        statuses = list(Bid.objects.filter(tender=key.tender).values_list("status", flat=True))
        opened, rejected = statuses.count(BidStatus.OPENED), statuses.count(BidStatus.REJECTED)
        print("  floor: the same envelopes opened and verified without the database ...")
        bare = floor(envelopes, X25519PrivateKey.from_private_bytes(bytes(key.private_key)))
        paths = path_validations(envelopes)
        report(len(envelopes), database, prepared, total, opened, rejected, bare, paths)
    finally:
        from django.db import connections

        connections.close_all()
        if drop:
            drop()
        shutil.rmtree(workdir, ignore_errors=True)
    if opened != len(envelopes):
        raise SystemExit(f"{len(envelopes) - opened} envelopes were not opened")


def report(count, database, prepared, total, opened, rejected, bare, paths) -> None:
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
        f"  path validation   {paths / count * 1000:8.2f} ms per certificate, measured apart\n"
        f"                    (the runner validates each bidder's certificate once; the floor "
        f"does not)"
    )


if __name__ == "__main__":
    main()
