"""The whole life of a lot from its opening to contracting, explored by hypothesis: any
sequence of disqualifications, awards, complaints and their decisions, and the standstill's
end keeps the invariants: never two live awards on one lot, no award final while a complaint
is pending, the lot's status always what its awards and reviews say, every step audited."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from core.models import AuditEvent
from evaluation import complaints, services
from evaluation.models import (
    COMPLAINT_PENDING,
    Award,
    AwardStatus,
    Complaint,
    Evaluation,
    ReviewStatus,
)
from procurement.models import Lot, LotStatus

pytestmark = pytest.mark.django_db

AMOUNTS = {0: (95_000_000, ()), 1: (93_000_000, ()), 2: (97_000_000, ())}


def test_the_lot_lifecycle_keeps_its_invariants(
    opened_tender, lowest_price, officer_signer, reviewer, bidders, third_bidder
):
    everyone = [*bidders, third_bidder]

    class LotLifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.tender = opened_tender(lowest_price, AMOUNTS)
            self.lot = self.tender.lots.get()
            self.evaluation = Evaluation.objects.get(lot=self.lot)
            self.audited = AuditEvent.objects.count()

        def teardown(self):
            self.tender.finish()

        # --- helpers ---------------------------------------------------------------------
        def status(self) -> str:
            return Lot.objects.get(pk=self.lot.pk).status

        def proposed(self):
            return self.evaluation.reviews.filter(status=ReviewStatus.PROPOSED).first()

        def pending_award(self):
            return Award.objects.filter(lot=self.lot, status=AwardStatus.PENDING).first()

        def open_complaints(self):
            return Complaint.objects.filter(award__lot=self.lot, status__in=COMPLAINT_PENDING)

        def step_audited(self):
            count = AuditEvent.objects.count()
            assert count > self.audited, "a step changed something without an audit event"
            self.audited = count

        # --- rules -----------------------------------------------------------------------
        @precondition(lambda self: self.status() == LotStatus.EVALUATION and self.proposed())
        @rule()
        def disqualify(self):
            services.review_disqualify(
                review=self.proposed(), actor=officer_signer.user, reason="부적격"
            )
            self.step_audited()

        @precondition(lambda self: self.status() == LotStatus.EVALUATION and self.proposed())
        @rule()
        def award(self):
            review = self.proposed()
            statement = services.award_statement(review)
            services.award_make(
                review=review, actor=officer_signer.user, signature=officer_signer.sign(statement)
            )
            self.step_audited()

        @precondition(lambda self: self.pending_award() is not None)
        @rule(who=st.integers(0, 2))
        def complain(self, who):
            award = self.pending_award()
            try:
                complaints.complaint_file(
                    award=award, supplier=everyone[who].supplier, actor=everyone[who].user,
                    text="이의 있음",
                )  # fmt: skip
            except (PermissionDenied, ValidationError):
                return  # out of time: refused, and nothing changed
            self.step_audited()

        @precondition(lambda self: self.open_complaints().exists())
        @rule(decision=st.sampled_from(["accept", "reject", "uphold", "dismiss", "withdraw"]))
        def decide(self, decision):
            complaint = self.open_complaints().first()
            try:
                if decision == "accept":
                    complaints.complaint_accept(complaint=complaint, actor=reviewer)
                elif decision == "reject":
                    complaints.complaint_reject(complaint=complaint, actor=reviewer, reason="각하")
                elif decision == "withdraw":
                    complaints.complaint_withdraw(complaint=complaint, actor=complaint.filed_by)
                else:
                    complaints.complaint_decide(
                        complaint=complaint, actor=reviewer, upheld=decision == "uphold",
                        reason="심의 결과",
                    )  # fmt: skip
            except ValidationError:
                return  # decided before it was accepted: refused, nothing changed
            self.step_audited()

        @rule(days=st.integers(1, 10))
        def time_passes(self, days):
            self.tender.travel.shift(timedelta(days=days))
            if complaints.awards_finalise_due():
                self.step_audited()

        # --- invariants ------------------------------------------------------------------
        @invariant()
        def at_most_one_live_award(self):
            live = Award.objects.filter(lot=self.lot, status__in=["pending", "active"])
            assert live.count() <= 1

        @invariant()
        def no_final_award_with_a_complaint_pending(self):
            if Award.objects.filter(lot=self.lot, status=AwardStatus.ACTIVE).exists():
                assert not self.open_complaints().exists()

        @invariant()
        def the_lot_is_where_its_awards_and_reviews_say(self):
            status = self.status()
            awards = Award.objects.filter(lot=self.lot)
            if status == LotStatus.AWARDED:
                assert awards.filter(status=AwardStatus.PENDING).count() == 1
            elif status == LotStatus.CONTRACTING:
                assert awards.filter(status=AwardStatus.ACTIVE).count() == 1
            elif status == LotStatus.EVALUATION:
                assert not awards.filter(status__in=["pending", "active"]).exists()
                assert self.proposed() is not None
            else:
                assert status == LotStatus.UNSUCCESSFUL
                assert not self.evaluation.reviews.filter(
                    status__in=[ReviewStatus.WAITING, ReviewStatus.PROPOSED]
                ).exists()

    LotLifecycle.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=15,
        deadline=None,
        # Each example opens a tender (about half a second): shrinking a failure would take
        # minutes, so the failing steps are reported as found.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    LotLifecycle.TestCase().runTest()
