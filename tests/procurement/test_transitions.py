"""Every allowed and every forbidden transition of the tender state machine."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_fsm import TransitionNotAllowed

from procurement import services
from procurement.clock import clock_tick
from procurement.exceptions import TenderError
from procurement.models import Tender, TenderStatus
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender_in(published, make_draft, officer):
    """A tender brought to `status` through the real use cases and the clock."""

    def make(status: str) -> Tender:
        if status == TenderStatus.DRAFT:
            return make_draft()
        with time_machine.travel(NOW, tick=False):
            tender = published()
        if status == TenderStatus.CANCELLED:
            return services.tender_cancel(tender=tender, actor=officer, reason="r")
        if status in (TenderStatus.BIDDING, TenderStatus.OPENING):
            moment = tender.bid_open_at if status == TenderStatus.BIDDING else tender.bid_close_at
            with time_machine.travel(moment, tick=False):
                clock_tick()
        tender.refresh_from_db()
        assert tender.status == status
        return tender

    return make


@pytest.mark.parametrize(
    "status", [TenderStatus.DRAFT, TenderStatus.NOTICE, TenderStatus.BIDDING, TenderStatus.OPENING]
)
def test_the_buyer_can_cancel_before_contracting(tender_in, officer, status):
    tender = services.tender_cancel(tender=tender_in(status), actor=officer, reason="예산 부족")
    assert tender.status == TenderStatus.CANCELLED
    assert tender.cancel_reason == "예산 부족"


def test_a_cancelled_tender_cannot_be_cancelled_again(tender_in, officer):
    with pytest.raises(TenderError, match="Cancelled"):
        services.tender_cancel(
            tender=tender_in(TenderStatus.CANCELLED), actor=officer, reason="again"
        )


@pytest.mark.parametrize(
    "status",
    [TenderStatus.NOTICE, TenderStatus.BIDDING, TenderStatus.OPENING, TenderStatus.CANCELLED],
)
def test_only_a_draft_can_be_published(tender_in, officer, status):
    tender = tender_in(status)
    with pytest.raises(TenderError):
        services.tender_publish(tender=tender, actor=officer)
    tender.refresh_from_db()
    assert tender.status == status


@pytest.mark.parametrize("persona", ["other_officer", "bidder_a", "opening_officer", "outsider"])
def test_nobody_but_the_buyers_procurement_officer_publishes(request, tender_in, persona):
    tender = tender_in(TenderStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        services.tender_publish(tender=tender, actor=request.getfixturevalue(persona))
    tender.refresh_from_db()
    assert tender.status == TenderStatus.DRAFT


@pytest.mark.parametrize("persona", ["other_officer", "bidder_a", "opening_officer", "outsider"])
def test_nobody_but_the_buyers_procurement_officer_cancels(request, tender_in, persona):
    tender = tender_in(TenderStatus.NOTICE)
    with pytest.raises(PermissionDenied):
        services.tender_cancel(tender=tender, actor=request.getfixturevalue(persona), reason="r")
    tender.refresh_from_db()
    assert tender.status == TenderStatus.NOTICE


def test_anonymous_cannot_publish(tender_in):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.tender_publish(tender=tender_in(TenderStatus.DRAFT), actor=AnonymousUser())


def test_the_clock_opens_bidding_at_its_time_and_not_before(tender_in):
    tender = tender_in(TenderStatus.NOTICE)
    with time_machine.travel(tender.bid_open_at.timestamp() - 0.001, tick=False):
        assert clock_tick() == []
    with time_machine.travel(tender.bid_open_at, tick=False):
        assert [m.target for m in clock_tick()] == [TenderStatus.BIDDING]


def test_the_clock_closes_bidding_at_the_deadline(tender_in):
    tender = tender_in(TenderStatus.BIDDING)
    with time_machine.travel(tender.bid_close_at.timestamp() - 0.001, tick=False):
        assert clock_tick() == []
    with time_machine.travel(tender.bid_close_at, tick=False):
        assert [m.target for m in clock_tick()] == [TenderStatus.OPENING]


def test_a_late_clock_catches_up_through_both_transitions(tender_in):
    tender = tender_in(TenderStatus.NOTICE)
    with time_machine.travel(tender.bid_close_at, tick=False):
        moved = clock_tick()
    assert [(m.source, m.target) for m in moved] == [("notice", "bidding"), ("bidding", "opening")]


def test_no_person_can_make_a_clock_transition(tender_in, officer):
    from django_fsm import has_transition_perm

    tender = tender_in(TenderStatus.NOTICE)
    assert not has_transition_perm(tender.open_bidding, officer)
    assert has_transition_perm(tender.open_bidding, None)


@pytest.mark.parametrize(
    "status", [TenderStatus.DRAFT, TenderStatus.OPENING, TenderStatus.CANCELLED]
)
def test_bidding_cannot_open_from_any_other_state(tender_in, status):
    with pytest.raises(TransitionNotAllowed):
        tender_in(status).open_bidding()


@pytest.mark.parametrize(
    "status", [TenderStatus.DRAFT, TenderStatus.NOTICE, TenderStatus.CANCELLED]
)
def test_bidding_cannot_close_from_any_other_state(tender_in, status):
    with pytest.raises(TransitionNotAllowed):
        tender_in(status).close_bidding()


def test_the_status_field_cannot_be_assigned(tender_in):
    tender = tender_in(TenderStatus.NOTICE)
    with pytest.raises(AttributeError):
        tender.status = TenderStatus.OPENING


def test_a_stale_copy_cannot_overwrite_a_transition(tender_in, officer):
    from django_fsm import ConcurrentTransition

    tender = tender_in(TenderStatus.NOTICE)
    stale = Tender.objects.get(pk=tender.pk)
    services.tender_cancel(tender=tender, actor=officer, reason="r")
    stale.open_bidding()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Tender.objects.get(pk=tender.pk).status == TenderStatus.CANCELLED
