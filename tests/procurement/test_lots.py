"""Lots after the opening move on their own and the tender follows them; only the buyer's
officer awards or fails a lot, only the platform cancels an award or starts contracting."""

import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent, LiveEvent
from procurement import lots
from procurement.exceptions import TenderError
from procurement.models import LotStatus, TenderStatus
from procurement.services import tender_cancel
from tests.bidding.test_opening import open_with, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(in_bidding, bidders, openers):
    """A two-lot tender whose opening is complete."""
    submit(in_bidding, bidders[0], lot=1)
    submit(in_bidding, bidders[1], lot=2)
    open_with(in_bidding, openers[0], openers[1])
    return in_bidding


def lot_of(tender, number):
    return tender.lots.get(number=number)


@pytest.mark.parametrize(
    ("statuses", "tender"),
    [
        (["evaluation", "awarded"], "evaluation"),
        (["awarded", "unsuccessful"], "awarded"),
        (["contracting", "awarded"], "awarded"),
        (["contracting", "cancelled"], "contracting"),
        (["unsuccessful", "unsuccessful"], "unsuccessful"),
        (["unsuccessful", "cancelled"], "unsuccessful"),
    ],
)
def test_the_tender_is_as_far_as_its_least_advanced_live_lot(statuses, tender):
    assert lots.tender_status_of_lots(statuses) == tender


def test_the_opening_puts_every_lot_under_evaluation(opened):
    assert set(opened.lots.values_list("status", flat=True)) == {LotStatus.EVALUATION}
    assert opened.status == TenderStatus.EVALUATION


def test_lots_are_decided_one_by_one_and_the_tender_follows(
    opened, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lots.lot_award(lot=lot_of(opened, 1), actor=officer)
    opened.refresh_from_db()
    assert lot_of(opened, 1).status == LotStatus.AWARDED
    assert opened.status == TenderStatus.EVALUATION  # lot 2 is still under evaluation
    lots.lot_fail(lot=lot_of(opened, 2), actor=officer, reason="적격 입찰자 없음")
    opened.refresh_from_db()
    assert opened.status == TenderStatus.AWARDED
    assert lot_of(opened, 2).status_reason == "적격 입찰자 없음"
    kinds = list(AuditEvent.objects.filter(kind__startswith="lot.").values_list("kind", flat=True))
    assert kinds == ["lot.awarded", "lot.unsuccessful"]
    live = LiveEvent.objects.filter(kind="lot.awarded", topic=f"tender.{opened.pk}").get()
    assert live.payload["lot"] == {"number": 1, "status": "awarded", "reason": ""}


def test_an_award_taken_back_resumes_evaluation_and_a_clean_one_goes_to_contracting(
    opened, officer
):
    lot = lots.lot_award(lot=lot_of(opened, 1), actor=officer)
    lots.lot_award_cancel(lot=lot, reason="민원 인용")
    assert lot_of(opened, 1).status == LotStatus.EVALUATION
    lot = lots.lot_award(lot=lot_of(opened, 1), actor=officer)
    lots.lot_contracting_start(lot=lot)
    lots.lot_award(lot=lot_of(opened, 2), actor=officer)
    lots.lot_contracting_start(lot=lot_of(opened, 2))
    opened.refresh_from_db()
    assert opened.status == TenderStatus.CONTRACTING


def test_only_the_buyers_officer_awards_or_fails_a_lot(opened, other_officer, bidder_a):
    for person in (other_officer, bidder_a):
        with pytest.raises(PermissionDenied):
            lots.lot_award(lot=lot_of(opened, 1), actor=person)
        with pytest.raises(PermissionDenied):
            lots.lot_fail(lot=lot_of(opened, 1), actor=person, reason="x")
    with pytest.raises(PermissionDenied):
        lots.lot_award(lot=lot_of(opened, 1), actor=None)  # the platform awards nothing
    assert lot_of(opened, 1).status == LotStatus.EVALUATION
    assert not AuditEvent.objects.filter(kind__startswith="lot.").exists()


def test_a_lot_out_of_turn_is_refused_and_nothing_changes(opened, officer):
    with pytest.raises(TenderError, match="cannot be done now"):
        lots.lot_contracting_start(lot=lot_of(opened, 1))  # not awarded yet
    with pytest.raises(TenderError, match="cannot be done now"):
        lots.lot_award_cancel(lot=lot_of(opened, 1), reason="x")
    with pytest.raises(TenderError, match="why"):
        lots.lot_fail(lot=lot_of(opened, 1), actor=officer, reason=" ")
    assert lot_of(opened, 1).status == LotStatus.EVALUATION


def test_a_failed_service_publishes_nothing(opened, officer, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PermissionDenied),
    ):
        lots.lot_award(lot=lot_of(opened, 1), actor=None)
    assert callbacks == []
    assert not LiveEvent.objects.filter(kind__startswith="lot.").exists()


def test_before_the_opening_no_lot_can_be_awarded(in_bidding, officer):
    with pytest.raises(TenderError):
        lots.lot_award(lot=lot_of(in_bidding, 1), actor=officer)


def test_cancelling_a_tender_cancels_its_lots(opened, officer):
    lots.lot_award(lot=lot_of(opened, 1), actor=officer)
    tender_cancel(tender=opened, actor=officer, reason="예산 삭감")
    assert set(opened.lots.values_list("status", flat=True)) == {LotStatus.CANCELLED}
