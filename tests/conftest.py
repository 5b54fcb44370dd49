"""Named personas and tender builders shared by the whole suite.

Access control is the point of most tests, so the people are named for who they are: the
officer of the Public Procurement Service, an officer of another agency, two competing
suppliers' bidders, an outsider with an account but no role, and the anonymous public.
"""

import importlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from procurement import services
from procurement.models import ProcedureType
from suppliers.models import Category, Licence, Supplier


def needs_postgres(why: str):
    """Skip on the embedded SQLite default, saying why; CI runs these on the real server."""
    return pytest.mark.skipif(
        not settings.USES_POSTGRES,
        reason=f"needs PostgreSQL ({why}); CI runs it on the real server",
    )


ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 10:00 KST, a Monday


def _person(username: str, organisation: Organisation | None, *roles: Role) -> User:
    user = User.objects.create_user(
        username=username, password="correct-horse-battery", display_name=username.title()
    )
    for role in roles:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def agency(db):
    return Organisation.objects.create(
        kind=OrganisationKind.AGENCY,
        name="조달청",
        name_en="Public Procurement Service",
        code="1230000",
    )


@pytest.fixture
def other_agency(db):
    return Organisation.objects.create(
        kind=OrganisationKind.AGENCY, name="서울특별시", code="6110000"
    )


@pytest.fixture
def company_a(db):
    return Organisation.objects.create(
        kind=OrganisationKind.COMPANY, name="한빛건설", code="1018163364"
    )


@pytest.fixture
def company_b(db):
    return Organisation.objects.create(
        kind=OrganisationKind.COMPANY, name="새솔정보기술", code="2148712348"
    )


def standard_category(code: str) -> Category:
    """A category the migrations seed; re-seeded after a transactional test's flush."""
    categories = importlib.import_module("suppliers.migrations.0002_categories").CATEGORIES
    _, name, name_en, kind = next(c for c in categories if c[0] == code)
    return Category.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "kind": kind}
    )[0]


def _supplier(organisation: Organisation, status: str = "verified") -> Supplier:
    supplier = Supplier.objects.create(
        organisation=organisation,
        status=status,
        representative="대표",
        address="서울",
        phone="02-000-0000",
        email="bid@example.kr",
        bank_name="기업은행",
        bank_account="000-000000-00-000",
        bank_holder=organisation.name,
        registered_at=timezone.now(),
    )
    Licence.objects.create(supplier=supplier, category=standard_category("G-FURN"))
    return supplier


@pytest.fixture
def supplier_a(company_a):
    """Company A as a verified supplier licensed for furniture (G-FURN)."""
    return _supplier(company_a)


@pytest.fixture
def supplier_b(company_b):
    return _supplier(company_b)


@pytest.fixture
def officer(agency):
    return _person("officer", agency, Role.PROCUREMENT_OFFICER)


@pytest.fixture
def opening_officer(agency):
    return _person("opener", agency, Role.OPENING_OFFICER)


@dataclass
class Opener:
    """An opening officer with the private half of their share-receiving key."""

    user: User
    receiving_key: X25519PrivateKey

    def shares(self):
        """This officer's opening shares, unsealed (what their client would show them)."""
        from bidding.models import OpeningShare
        from bidding.opening_key import share_unseal

        return {
            share.opening_key.tender.ocid: share_unseal(
                bytes(share.sealed_share),
                self.receiving_key,
                tender=share.opening_key.tender.ocid,
                officer=self.user.pk,
            )
            for share in OpeningShare.objects.filter(officer=self.user, sealed_share__isnull=False)
        }


def receiving_key_give(user: User) -> X25519PrivateKey:
    from bidding.opening_key import public_key_bytes
    from bidding.services import receiving_key_register

    key = X25519PrivateKey.generate()
    receiving_key_register(actor=user, public_key=public_key_bytes(key.public_key()))
    return key


@pytest.fixture
def openers(agency):
    """Three opening officers of the agency, each with a share-receiving key."""
    people = [_person(f"opener{n}", agency, Role.OPENING_OFFICER) for n in (1, 2, 3)]
    return [Opener(user, receiving_key_give(user)) for user in people]


@pytest.fixture
def other_officer(other_agency):
    return _person("other_officer", other_agency, Role.PROCUREMENT_OFFICER)


@pytest.fixture
def bidder_a(company_a):
    return _person("bidder_a", company_a, Role.BIDDER)


@pytest.fixture
def bidder_b(company_b):
    return _person("bidder_b", company_b, Role.BIDDER, Role.SUPPLIER_ADMIN)


@pytest.fixture
def platform(db):
    return Organisation.objects.create(
        kind=OrganisationKind.PLATFORM, name="장터 운영센터", code="PLATFORM"
    )


@pytest.fixture
def operator(platform):
    return _person("operator", platform, Role.OPERATOR)


@pytest.fixture
def reviewer(platform):
    """A member of the platform's review body, who decides complaints."""
    return _person("reviewer", platform, Role.REVIEWER)


@pytest.fixture
def outsider(db):
    return _person("outsider", None)


def standard_procedure(code: str) -> ProcedureType:
    """A procedure type the migrations seed; re-seeded after a transactional test's flush."""
    types = importlib.import_module("procurement.migrations.0002_procedure_types").TYPES
    values = next(t for t in types if t["code"] == code)
    if values["method"] == "qualification_review":
        later = importlib.import_module("procurement.migrations.0006_qualification_scores")
        values = {**values, **later.QUALIFICATION_SCORES}
    if values["method"] == "best_value":
        later = importlib.import_module("procurement.migrations.0007_technical_criteria")
        values = {**values, **later.BEST_VALUE_TECHNICAL}
    return ProcedureType.objects.get_or_create(code=code, defaults=values)[0]


@pytest.fixture
def lowest_price(db):
    return standard_procedure("lowest-price")


@pytest.fixture
def qualification_review(db):
    return standard_procedure("qualification-review")


@pytest.fixture
def best_value(db):
    return standard_procedure("best-value")


def deadlines(
    start: datetime, *, questions=8, registration=9, bid_open=1, bid_close=10, opening=10.1
) -> dict:
    """Deadlines `days` after `start`, in the order the rules want by default."""
    return {
        "questions_close_at": start + timedelta(days=questions),
        "registration_close_at": start + timedelta(days=registration),
        "bid_open_at": start + timedelta(days=bid_open),
        "bid_close_at": start + timedelta(days=bid_close),
        "opening_at": start + timedelta(days=opening),
    }


@pytest.fixture
def make_draft(agency, officer, lowest_price, openers):
    """Build a draft with one lot and one item (ready to publish) as the officer; two of
    the three openers hold its opening key's shares, both needed."""

    def make(*, procedure=None, actor=None, buyer=None, start=None, lots=1, **overrides):
        start = start or timezone.now()
        tender = services.tender_create(
            actor=actor or officer,
            buyer=buyer or agency,
            procedure_type=procedure or lowest_price,
            **{
                "title": "사무용 의자 구매",
                "description": "의자 1,200개",
                "opening_officers": [opener.user for opener in openers[:2]],
                "opening_threshold": 2,
                **deadlines(start),
                **overrides,
            },
        )
        for number in range(lots):
            lot = services.lot_add(
                tender=tender,
                actor=actor or officer,
                title=f"Lot {number + 1}",
                base_amount=100_000_000,
            )
            services.item_add(
                lot=lot,
                actor=actor or officer,
                description="메쉬 의자",
                classification_scheme="UNSPSC",
                classification_code="56112104",
                quantity=Decimal("1200"),
                unit="EA",
            )
        return tender

    return make


@pytest.fixture
def published(make_draft, officer):
    """A tender in notice: bidding opens in a day, closes in ten."""

    def make(**kwargs):
        tender = make_draft(**kwargs)
        return services.tender_publish(tender=tender, actor=officer)

    return make


@pytest.fixture
def opening_soon(make_draft, officer):
    """A published tender of a procedure without notice periods whose bidding opens in
    `seconds`, for the in-process clock of a served platform to move."""

    def make(seconds: float):
        quick = ProcedureType.objects.create(
            code="quick", name="빠른 절차", name_en="Quick", method="lowest_price",
            notice_period_days=0, amendment_period_days=0,
        )  # fmt: skip
        now = timezone.now()
        tender = make_draft(
            procedure=quick,
            questions_close_at=now + timedelta(seconds=30),
            registration_close_at=now + timedelta(seconds=40),
            bid_open_at=now + timedelta(seconds=seconds),
            bid_close_at=now + timedelta(minutes=5),
            opening_at=now + timedelta(minutes=6),
        )
        return services.tender_publish(tender=tender, actor=officer)

    return make


@pytest.fixture(autouse=True)
def _english_messages_outside_requests():
    """Use cases called directly speak English here so assertions can read their messages;
    pages still pick the reader's language per request (Korean by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_trust_material():
    """Validation caches the parsed CA certificates and CRLs for a few seconds; a test that
    changes them (new trusted CAs, a new PKI) must not see another test's."""
    from esign.validation import trust_material_forget

    trust_material_forget()
    yield
    trust_material_forget()


_PKI_ROWS: list[dict] = []


@pytest.fixture
def pki(db):
    """The platform PKI, created once per test session (keys are slow to make) and put back
    into each test's database."""
    from esign.authority import pki_initialise
    from esign.models import Authority

    if not _PKI_ROWS:
        pki_initialise(now=timezone.now())
        _PKI_ROWS.extend(Authority.objects.values("role", "certificate_pem", "encrypted_key_pem"))
    elif not Authority.objects.exists():
        Authority.objects.bulk_create(Authority(**row) for row in _PKI_ROWS)
    return Authority.objects.all()


@pytest.fixture
def trusted_foreign_ca(tmp_path, monkeypatch, settings):
    """A trusted external CA, known to this test and to the server process it starts."""
    from tests.esign.foreign import ForeignCa

    ca = ForeignCa()
    ca.serve()
    path = ca.pem_file(tmp_path)
    settings.PKI_TRUSTED_CA_FILES = [path]
    monkeypatch.setenv("JANGTEO_TRUSTED_CA_FILES", path)
    yield ca
    ca.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(transactional_db):
    """The platform served on a free port (daphne, as `make run` serves it), sharing the
    test database."""
    yield from _served("daphne")


@pytest.fixture
def uvicorn_server(transactional_db):
    """The same, served by uvicorn as production serves it."""
    yield from _served("uvicorn")


def _served(kind: str):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "JANGTEO_CLOCK": "inprocess",
        "JANGTEO_CLOCK_INTERVAL": "0.2",
    }
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST']}:"
            f"{settings['PORT']}/{settings['NAME']}"
        )
    log = (ROOT / "var" / f"test-server-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--server", kind],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the server did not start in 30 s")
    if process.poll() is not None:
        pytest.fail(f"the server exited: see {log.name}")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


CLIENT_PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def client_cli(server, tmp_path):
    """Run jangteo-client against the server as `user` (None: anonymously), as that person
    would on their own machine: a token of theirs, a home folder, a passphrase."""
    from accounts.tokens import api_token_create

    tokens = {}

    def run(user, *args: str, home: str = "home", passphrase: str = CLIENT_PASSPHRASE):
        if user is not None and user.pk not in tokens:
            tokens[user.pk] = api_token_create(user=user, name="client")[1]
        env = {
            **os.environ,
            "JANGTEO_URL": server,
            "JANGTEO_TOKEN": tokens[user.pk] if user is not None else "",
            "JANGTEO_HOME": str(tmp_path / home),
            "JANGTEO_PASSPHRASE": passphrase,
        }
        return subprocess.run(
            [sys.executable, "-m", "jangteo_client", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def make_csr(key=None):
    """A PKCS#10 request (PEM) for `key`, or for a new P-256 key; returns (key, request)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "whatever")]))
        .sign(key, hashes.SHA256())
    )
    return key, csr.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def issued(pki, bidder_a, company_a, supplier_a):
    """A verified supplier's bidder with a key of their own and the certificate issued."""
    from cryptography import x509

    from esign.services import certificate_issue

    key, csr = make_csr()
    certificate = certificate_issue(
        holder=bidder_a, organisation=company_a, csr_data=csr, actor=bidder_a
    )
    return key, certificate, x509.load_pem_x509_certificate(certificate.pem.encode())
