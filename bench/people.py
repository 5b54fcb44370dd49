"""What the benchmarks set up alike: the platform's database, a buying agency with its
officers and a published tender, and bidders, each with a verified company, a certificate
of the platform CA and a registration for the tender.

Bidders get no password: hashing one takes more than half a second of CPU, more than all
the rest a bidder needs here, and the benchmarks' bidders use certificates and API tokens.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_ready(env: dict) -> None:
    """Migrate the database of `env` and set Django up on it in this process."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()


@dataclass(frozen=True)
class BenchTender:
    tender: object  # procurement.models.Tender, published, bidding open for two hours
    public_key: object  # its opening key's X25519 public key, which envelopes are sealed to
    openers: list  # (opening officer, the X25519 private key their share is sealed to)


def published_tender(*, title: str, openers: int = 1, threshold: int = 1) -> BenchTender:
    """A lowest-price tender of one lot, bidding open now until two hours from now, with
    `openers` opening officers of whom `threshold` open it. The platform's PKI is made
    first."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from django.utils import timezone

    from accounts.models import Membership, Organisation, OrganisationKind, Role, User
    from bidding.services import receiving_key_register
    from core import clock
    from esign.authority import pki_initialise
    from procurement import services
    from procurement.management.commands.seed_demo import demo_procedure

    pki_initialise(now=clock.now())
    agency = Organisation.objects.create(kind=OrganisationKind.AGENCY, name="Bench", code="B1")
    officer = User.objects.create_user(username="officer")
    Membership.objects.create(user=officer, organisation=agency, role=Role.PROCUREMENT_OFFICER)
    officers = []
    for n in range(1, openers + 1):
        opener = User.objects.create_user(username=f"opener{n}")
        Membership.objects.create(user=opener, organisation=agency, role=Role.OPENING_OFFICER)
        receiving = X25519PrivateKey.generate()
        receiving_key_register(actor=opener, public_key=receiving.public_key().public_bytes_raw())
        officers.append((opener, receiving))
    now = timezone.now()
    tender = services.tender_create(
        actor=officer,
        buyer=agency,
        procedure_type=demo_procedure("lowest-price"),
        title=title,
        opening_officers=[opener for opener, _ in officers],
        opening_threshold=threshold,
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
    return BenchTender(tender, public_key, officers)


@dataclass(frozen=True)
class Bidder:
    code: str  # the company's registration number, as a bid names its supplier
    user: object  # accounts.models.User
    key: object  # the P-256 private key, which a real bidder keeps to themselves
    certificate: object  # cryptography's x509.Certificate, issued by the platform CA


def registered_bidder(n: int, tender) -> Bidder:
    """Bidder `n` (bidder<n>) of a verified company of their own, with a certificate of the
    platform CA, registered for `tender`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from django.utils import timezone

    from accounts.models import Membership, Organisation, OrganisationKind, Role, User
    from bidding.models import TenderRegistration
    from esign.services import certificate_issue
    from suppliers.models import Supplier

    now = timezone.now()
    # ten digits like a registration number, not checked here: bench-only companies
    company = Organisation.objects.create(
        kind=OrganisationKind.COMPANY, name=f"Company {n}", code=f"8{n:08d}0"
    )
    supplier = Supplier.objects.create(
        organisation=company, status="verified", registered_at=now, representative="-"
    )
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
    TenderRegistration.objects.create(
        tender=tender, supplier=supplier, registered_by=user, registered_at=now
    )
    return Bidder(company.code, user, key, x509.load_pem_x509_certificate(record.pem.encode()))
