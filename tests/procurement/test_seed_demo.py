"""The demo data `make run` starts with: tenders in several states, opening officers whose
demo keys open their shares."""

import io
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from bidding.models import Bid, BidStatus, OpeningShare
from bidding.opening_key import share_unseal
from procurement.models import Tender, TenderStatus

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_tenders_whose_shares_open_with_the_demo_keys(settings, tmp_path, pki):
    """Seeded half a second before a minute turns, the demo still asks its question,
    registers and bids within windows that start on the minute (a slow machine's seeding
    once outlasted them)."""
    import time_machine
    from django.utils import timezone

    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    start = (timezone.now() + timedelta(days=1)).replace(second=59, microsecond=500_000)
    with time_machine.travel(start, tick=True):
        call_command("seed_demo", stdout=out)
    assert "demo-keys" in out.getvalue()
    statuses = set(Tender.objects.values_list("status", flat=True))
    sealed = Bid.objects.filter(status=BidStatus.SEALED)
    assert sealed.count() == 4  # demo suppliers' bids on the three tenders in bidding
    assert not sealed.exclude(amount=None).exists()  # sealed: not even the demo knows
    assert {TenderStatus.NOTICE, TenderStatus.CANCELLED, TenderStatus.DRAFT} <= statuses
    shares = OpeningShare.objects.select_related("officer", "opening_key__tender")
    assert shares.count() == 3 * 6 + 1  # three PPS officers on six tenders, one in Seoul
    for share in shares:
        path = tmp_path / "demo-keys" / f"{share.officer.username}-receiving-key.pem"
        key = serialization.load_pem_private_key(path.read_bytes(), None)
        words = share_unseal(
            bytes(share.sealed_share),
            key,
            tender=share.opening_key.tender.ocid,
            officer=share.officer_id,
        )
        assert len(words.split()) == 33  # SLIP-39 words for a 256-bit secret


def test_each_demo_tender_in_bidding_goes_from_its_opening_to_contracting(settings, tmp_path, pki):
    """What the README walks a newcomer through, done by the services: the three tenders
    the demo starts in bidding open with the demo officers' keys and each method's lot is
    awarded and, after the demonstration's standstill, goes to contracting."""
    from decimal import Decimal

    import time_machine

    from accounts.models import User
    from bidding.opening import opening_share_enter, openings_resume
    from evaluation import committee, complaints, services
    from evaluation.models import CommitteeMember, Evaluation, ReviewStatus
    from procurement.models import LotStatus
    from tests.conftest import make_csr
    from tests.esign.foreign import sign_detached

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    in_bidding = list(Tender.objects.filter(status=TenderStatus.BIDDING).order_by("pk"))
    assert {t.terms["method"] for t in in_bidding} == {
        "lowest_price", "qualification_review", "best_value"
    }  # fmt: skip

    def signer(username):
        from cryptography import x509

        from esign.services import certificate_issue

        user = User.objects.get(username=username)
        key, csr = make_csr()
        record = certificate_issue(
            holder=user, organisation=user.memberships.first().organisation, csr_data=csr,
            actor=user,
        )  # fmt: skip
        certificate = x509.load_pem_x509_certificate(record.pem.encode())
        return user, lambda content: sign_detached(key, certificate, content)

    officer, officer_sign = signer("officer")
    latest = max(t.bid_close_at for t in in_bidding)
    with time_machine.travel(latest + timedelta(minutes=1), tick=False) as travel:
        for tender in in_bidding:
            for share in OpeningShare.objects.filter(opening_key__tender=tender)[:2]:
                path = tmp_path / "demo-keys" / f"{share.officer.username}-receiving-key.pem"
                key = serialization.load_pem_private_key(path.read_bytes(), None)
                words = share_unseal(bytes(share.sealed_share), key, tender=tender.ocid,
                                     officer=share.officer_id)  # fmt: skip
                opening_share_enter(tender=tender, actor=share.officer, share=words)
        openings_resume()
        for tender in in_bidding:
            evaluation = Evaluation.objects.get(lot__tender=tender)
            if evaluation.method == "best_value":
                members = [signer(name) for name in ("evaluator", "evaluator2", "evaluator3")]
                committee.committee_appoint(
                    evaluation=evaluation, actor=officer, members=[m[0] for m in members]
                )
                for user, sign in members:
                    seat = CommitteeMember.objects.get(evaluation=evaluation, member=user)
                    committee.declaration_sign(
                        membership=seat, actor=user,
                        signature=sign(committee.declaration_statement(seat)),
                    )  # fmt: skip
                    scores = [
                        {"bid": r.bid.sha256, "criterion": c["code"], "score": str(c["points"])}
                        for r in evaluation.reviews.all()
                        for c in tender.terms["technical_criteria"]
                    ]
                    committee.scoresheet_submit(
                        membership=seat, actor=user, scores=scores,
                        signature=sign(committee.scoresheet_statement(seat, scores)),
                    )  # fmt: skip
            review = evaluation.reviews.get(status=ReviewStatus.PROPOSED)
            if evaluation.method == "qualification_review":
                review = services.review_score(
                    review=review, actor=officer, capability=Decimal(70), evidence="실적"
                )
            services.award_make(
                review=review, actor=officer,
                signature=officer_sign(services.award_statement(review)),
            )  # fmt: skip
        travel.shift(timedelta(minutes=4))  # the demonstration's three-minute standstill
        assert complaints.awards_finalise_due() == 3
    for tender in in_bidding:
        tender.refresh_from_db()
        assert tender.status == TenderStatus.CONTRACTING
        assert tender.lots.get().status == LotStatus.CONTRACTING
