"""Demo data for the embedded platform: agencies, suppliers, people with every role, and
tenders in several states, some with deadlines minutes away so a visitor sees them move."""

from datetime import timedelta
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Organisation, Role, User
from bidding import envelope
from bidding.services import receiving_key_register, tender_register
from bidding.submission import bid_submit
from core import clock
from esign.services import certificate_issue
from procurement import services
from procurement.clock import clock_tick
from procurement.models import ProcedureType, Tender
from suppliers import services as supplier_services
from suppliers.models import Category, Supplier

DEMO_PASSWORD = "jangteo-demo-2026"  # noqa: S105 - published demo credential, embedded only

ORGANISATIONS = [
    ("agency", "조달청", "Public Procurement Service", "1230000"),
    ("agency", "서울특별시", "Seoul Metropolitan Government", "6110000"),
    ("platform", "장터 운영센터", "Jangteo operations", "PLATFORM"),
]

PEOPLE = [
    # username, name, what they do here, organisation code (None: gets a company by
    # registering it), roles
    ("officer", "김조달", "procurement officer", "1230000", [Role.PROCUREMENT_OFFICER]),
    ("opener1", "이개찰", "opening officer", "1230000", [Role.OPENING_OFFICER]),
    ("opener2", "박개찰", "opening officer", "1230000", [Role.OPENING_OFFICER]),
    ("opener3", "최개찰", "opening officer", "1230000", [Role.OPENING_OFFICER]),
    ("evaluator", "정평가", "evaluator", "1230000", [Role.EVALUATOR]),
    ("evaluator2", "최평가", "evaluator", "1230000", [Role.EVALUATOR]),
    ("evaluator3", "한평가", "evaluator", "1230000", [Role.EVALUATOR]),
    ("signer", "강계약", "contract signer", "1230000", [Role.CONTRACT_SIGNER]),
    ("inspector", "조검수", "inspector", "1230000", [Role.INSPECTOR]),
    ("finance", "윤재무", "finance officer", "1230000", [Role.FINANCE_OFFICER]),
    ("seoul", "한서울", "procurement officer, Seoul", "6110000", [Role.PROCUREMENT_OFFICER]),
    ("seoulopen", "윤개찰", "opening officer, Seoul", "6110000", [Role.OPENING_OFFICER]),
    ("hanbit", "오한빛", "supplier admin and bidder, construction", None, []),
    ("saesol", "서새솔", "supplier admin and bidder, software", None, []),
    ("nuri", "임누리", "supplier admin and bidder, office furniture", None, []),
    ("daon", "강다온", "supplier admin, company awaiting verification", None, []),
    ("operator", "장운영", "platform operator", "PLATFORM", [Role.OPERATOR]),
    ("reviewer", "문심사", "review body", "PLATFORM", [Role.REVIEWER]),
]

# username of the administrator, company, English name, business number, licences, verified
COMPANIES = [
    (
        "hanbit",
        "한빛건설 주식회사",
        "Hanbit Construction Co.",
        "1018163364",
        ["W-CIVIL", "W-BUILD", "W-LAND"],
        True,
    ),
    ("saesol", "새솔정보기술 주식회사", "Saesol IT Co.", "2148712348", ["S-SW", "G-ICT"], True),
    ("nuri", "누리사무기기", "Nuri Office Supplies", "1208112342", ["G-FURN", "G-OFFICE"], True),
    ("daon", "다온전기 주식회사", "Daon Electric Co.", "2208811225", ["W-ELEC"], False),
]


def demo_keys_dir():
    return settings.VAR_DIR / "demo-keys"


def demo_procedure(code: str) -> ProcedureType:
    """A copy of a real procedure type with its minimum periods removed, so demo tenders
    can move within minutes. Labelled as a demonstration wherever it is shown."""
    real = ProcedureType.objects.get(code=code)
    copied = {
        f.name: getattr(real, f.name)
        for f in ProcedureType._meta.fields
        if f.name not in ("id", "code")
    }
    demo, _ = ProcedureType.objects.update_or_create(
        code=f"demo-{code}",
        defaults={
            **copied,
            "name": f"[시연] {real.name}",
            "name_en": f"[Demo] {real.name_en}",
            "notice_period_days": 0,
            "amendment_period_days": 0,
            "standstill_minutes": 3,
            "description": "Demonstration only: the minimum periods are removed and the "
            "standstill lasts three minutes. " + real.description,
        },
    )
    return demo


class Command(BaseCommand):
    help = "Create demo agencies, suppliers, people and tenders (once; prints the accounts)."

    def handle(self, *args, **options):
        if Tender.objects.exists():
            self.stdout.write("Demo data already present.")
        else:
            with transaction.atomic():
                self.seed()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.print_accounts()

    def print_accounts(self):
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for username, name, role, _code, _roles in PEOPLE:
            self.stdout.write(f"  {username:<10} {name} ({role})")
        self.stdout.write("  operator also opens the operator console at /operator/")
        self.stdout.write(
            f"  the opening officers' demo share-receiving keys are in {demo_keys_dir()}\n"
        )

    def seed(self):
        orgs = {
            code: Organisation.objects.create(kind=kind, name=name, name_en=name_en, code=code)
            for kind, name, name_en, code in ORGANISATIONS
        }
        people = {}
        for username, name, _role, code, roles in PEOPLE:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                display_name=name,
                email=f"{username}@demo.jangteo.invalid",
            )
            if Role.OPERATOR in roles:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            for role in roles:
                Membership.objects.create(user=user, organisation=orgs[code], role=role)
            people[username] = user
        self.seed_receiving_keys(people)
        self.seed_suppliers(people)
        self.seed_tenders(orgs, people)

    def seed_bids(self, people, bids):
        """Sealed bids of demo suppliers on tenders already in bidding, made as their client
        would: a key and certificate of the bidder's own, bid.json signed, sealed to the
        tender's opening key, the sealed bytes signed. Nobody can read them before the
        opening, the demo included."""
        clock_tick()  # the tenders whose bidding has begun move into it
        for tender, username, brn, amount, picks in bids:
            person, supplier = people[username], Supplier.objects.get(organisation__code=brn)
            tender = Tender.objects.get(pk=tender.pk)
            tender_register(tender=tender, supplier=supplier, actor=person)
            key = ec.generate_private_key(ec.SECP256R1())
            request = (
                x509.CertificateSigningRequestBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, username)]))
                .sign(key, hashes.SHA256())
            )
            record = certificate_issue(
                holder=person,
                organisation=supplier.organisation,
                csr_data=request.public_bytes(serialization.Encoding.PEM),
                actor=person,
            )
            certificate = x509.load_pem_x509_certificate(record.pem.encode())

            def sign(content: bytes, key=key, certificate=certificate) -> bytes:
                return (
                    pkcs7.PKCS7SignatureBuilder()
                    .set_data(content)
                    .add_signer(certificate, key, hashes.SHA256())
                    .sign(
                        serialization.Encoding.DER,
                        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
                    )
                )

            bid = envelope.bid_json(
                tender=tender.ocid, lot=1, supplier=brn, amount=amount, reserve_picks=picks
            )
            sealed = envelope.seal(
                envelope.contents_pack(bid, sign(bid)),
                X25519PublicKey.from_public_bytes(bytes.fromhex(tender.opening_public_key)),
                envelope.seal_info(tender=tender.ocid, lot=1, supplier=brn),
            )
            bid_submit(
                tender_id=tender.pk,
                lot_number=1,
                sealed=sealed,
                signature=sign(sealed),
                actor=person,
            )

    def seed_receiving_keys(self, people):
        """The demo opening officers' share-receiving keys. A real officer makes theirs in
        the browser or with jangteo-client and it never leaves them; the demo writes them to
        var/demo-keys (unencrypted, demo only) so a visitor can act as each officer."""
        folder = demo_keys_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for username, _name, _what, _code, roles in PEOPLE:
            if Role.OPENING_OFFICER not in roles:
                continue
            key = X25519PrivateKey.generate()
            path = folder / f"{username}-receiving-key.pem"
            path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            path.chmod(0o600)
            receiving_key_register(
                actor=people[username], public_key=key.public_key().public_bytes_raw()
            )

    def seed_suppliers(self, people):
        for username, name, name_en, brn, licences, verified in COMPANIES:
            supplier = supplier_services.supplier_register(
                name=name,
                name_en=name_en,
                brn=brn,
                actor=people[username],
                profile={
                    "representative": people[username].display_name,
                    "address": "세종특별자치시 한누리대로 2130",
                    "phone": "044-000-0000",
                    "email": f"{username}@demo.jangteo.invalid",
                    "bank_name": "기업은행",
                    "bank_account": f"000-{brn[:6]}-01-011",
                    "bank_holder": name,
                },
                licences=[
                    supplier_services.LicenceClaim(
                        Category.objects.get(code=code), f"{code}-{brn[-4:]}"
                    )
                    for code in licences
                ],
            )
            if verified:
                supplier_services.supplier_verify(supplier=supplier, actor=people["operator"])

    def seed_tenders(self, orgs, people):
        officer, pps = people["officer"], orgs["1230000"]
        qr, lowest, best = (
            demo_procedure(code) for code in ("qualification-review", "lowest-price", "best-value")
        )

        def tender(
            title,
            procedure,
            lots,
            *,
            categories,
            minutes,
            buyer=pps,
            actor=officer,
            publish=True,
            description="",
            openers=("opener1", "opener2", "opener3"),
            threshold=2,
        ):
            q, reg, bid_open, bid_close, opening = minutes
            # Each tender's times count from its own creation (seeding takes a while on a
            # slow machine) and fall on whole minutes, so a window the demo itself acts in
            # (a question, a registration, a bid) is at least its minutes less one long.
            now = clock.now().replace(second=0, microsecond=0)
            t = services.tender_create(
                actor=actor,
                buyer=buyer,
                procedure_type=procedure,
                title=title,
                description=description,
                categories=list(Category.objects.filter(code__in=categories)),
                opening_officers=[people[name] for name in openers],
                opening_threshold=threshold,
                questions_close_at=now + timedelta(minutes=q),
                registration_close_at=now + timedelta(minutes=reg),
                bid_open_at=now + timedelta(minutes=bid_open),
                bid_close_at=now + timedelta(minutes=bid_close),
                opening_at=now + timedelta(minutes=opening),
            )
            for lot_title, amount, items in lots:
                lot = services.lot_add(tender=t, actor=actor, title=lot_title, base_amount=amount)
                for item, scheme, code, quantity, unit in items:
                    services.item_add(
                        lot=lot,
                        actor=actor,
                        description=item,
                        classification_scheme=scheme,
                        classification_code=code,
                        quantity=Decimal(quantity),
                        unit=unit,
                    )
            services.document_add(
                tender=t,
                actor=actor,
                title="입찰공고문 (Notice)",
                upload=SimpleUploadedFile("notice.txt", f"{title}\n\n{description}\n".encode()),
            )
            if publish:
                services.tender_publish(tender=t, actor=actor)
            return t

        day = 24 * 60
        tender(
            "2027년 정부청사 사무용 가구 구매",
            qr,
            [
                (
                    "사무용 의자",
                    184_500_000,
                    [("사무용 의자 (메쉬형)", "UNSPSC", "56112104", "1200", "EA")],
                )
            ],
            categories=["G-FURN"],
            minutes=(1, 10, 2, 20, 21),
            description="Bidding opens in about two minutes and closes about eighteen minutes "
            "later: register nuri, bid on the tender's bid page (or with jangteo-client), "
            "and open it with opener1 and opener2 (see the README).",
        )
        soon = tender(
            "공공데이터 포털 유지관리 용역",
            best,
            [
                (
                    "유지관리",
                    320_000_000,
                    [("응용 소프트웨어 유지관리", "CPV", "72267000", "12", "month")],
                )
            ],
            categories=["S-SW"],
            minutes=(2, 2, 0, 3, 4),
            description="In bidding now, with saesol's sealed bid already in; the deadline is "
            "about three minutes away: open it, and let the committee (evaluator, evaluator2, "
            "evaluator3) score it.",
        )
        saesol = Organisation.objects.get(code="2148712348")
        services.question_ask(
            tender=soon,
            actor=people["saesol"],
            organisation=saesol,
            text="기존 시스템의 소스코드는 제공됩니까? "
            "(Is the source code of the current system provided?)",
        )
        self.seed_bids(people, [(soon, "saesol", "2148712348", 298_500_000, [])])
        long_running = tender(
            "국도 3호선 포장 보수공사",
            lowest,
            [
                ("1공구", 1_250_000_000, [("아스팔트 포장 보수", "CPV", "45233142", "8.5", "km")]),
                (
                    "2공구",
                    980_000_000,
                    [
                        ("아스팔트 포장 보수", "CPV", "45233142", "6.2", "km"),
                        ("차선 도색", "CPV", "45233221", "6.2", "km"),
                    ],
                ),
            ],
            categories=["W-CIVIL"],
            minutes=(7 * day, 9 * day, 1 * day, 10 * day, 10 * day + 60),
            description="Two lots; bidding opens tomorrow. Construction companies licensed for "
            "civil works (hanbit) can register now.",
        )
        hanbit = Organisation.objects.get(code="1018163364")
        question = services.question_ask(
            tender=long_running,
            actor=people["hanbit"],
            organisation=hanbit,
            text="현장 설명회가 있습니까? (Is there a site visit?)",
        )
        services.question_answer(
            question=question,
            actor=officer,
            answer="12월 1일 10시 현장에서 진행합니다. (On site, 1 December at 10:00.)",
        )
        services.tender_amend(
            tender=long_running,
            actor=officer,
            reason="Site visit added; bid deadline extended by two days.",
            changes={
                "bid_close_at": long_running.bid_close_at + timedelta(days=2),
                "opening_at": long_running.opening_at + timedelta(days=2),
            },
        )
        tender(
            "복합기 임차",
            lowest,
            [
                (
                    "A4 복합기",
                    36_000_000,
                    [("A4 컬러 복합기 임차", "UNSPSC", "44101501", "30", "EA")],
                )
            ],
            categories=["G-OFFICE"],
            buyer=orgs["6110000"],
            actor=people["seoul"],
            openers=("seoulopen",),
            threshold=1,
            minutes=(2, 3, 1, 5, 6),
            description="Seoul's tender: bidding opens in a minute.",
        )
        supplies = tender(
            "사무용 소모품 단가계약",
            lowest,
            [("복사용지 외", 42_000_000, [("A4 복사용지", "UNSPSC", "14111507", "4000", "BOX")])],
            categories=["G-OFFICE"],
            minutes=(2, 2, 0, 4, 5),
            description="In bidding now, with a sealed bid of nuri already in; the deadline is "
            "about four minutes away: open it, evaluate by lowest price and award.",
        )
        self.seed_bids(people, [(supplies, "nuri", "1208112342", 39_870_000, [])])
        maintenance = tender(
            "청사 전산장비 유지보수",
            qr,
            [("유지보수", 100_000_000, [("전산장비 유지보수", "CPV", "50312000", "12", "month")])],
            categories=[],
            minutes=(2, 2, 0, 5, 6),
            description="In bidding now, with sealed bids of hanbit and saesol already in; the "
            "deadline is about five minutes away: open it, review the bids from the lowest "
            "within the estimated price up, award, and let the losing bidder complain.",
        )
        self.seed_bids(
            people,
            [
                (maintenance, "hanbit", "1018163364", 91_300_000, [2, 9]),
                (maintenance, "saesol", "2148712348", 90_200_000, [4, 9]),
            ],
        )
        cancelled = tender(
            "청사 조경 관리 용역",
            lowest,
            [("조경 관리", 58_000_000, [("조경 관리 서비스", "CPV", "77310000", "1", "year")])],
            categories=["W-LAND"],
            minutes=(3 * day, 4 * day, 1, 5 * day, 5 * day + 60),
        )
        services.tender_cancel(
            tender=cancelled,
            actor=officer,
            reason="예산 재편성으로 취소합니다. (Budget reallocated.)",
        )
        tender(
            "전자결재 시스템 고도화 (작성 중)",
            best,
            [("고도화", 450_000_000, [("소프트웨어 개발", "CPV", "72212000", "1", "lot")])],
            categories=["S-SW"],
            minutes=(10 * day, 12 * day, 11 * day, 20 * day, 20 * day + 60),
            publish=False,
            description="A draft: only the agency's officers see it.",
        )
