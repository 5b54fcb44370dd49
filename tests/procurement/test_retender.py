"""An unsuccessful lot is re-tendered as a new draft pre-filled from the old tender."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from procurement import services
from procurement.exceptions import TenderError
from procurement.models import LotStatus, TenderStatus
from procurement.retender import lot_retender
from tests.bidding.test_opening import open_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(make_draft, officer, openers):
    """A tender with a document that nobody bid for: its lot is unsuccessful at the opening."""
    draft = make_draft()
    services.document_add(
        tender=draft, actor=officer, title="시방서",
        upload=SimpleUploadedFile("spec.txt", "의자 규격".encode()),
    )  # fmt: skip
    tender = services.tender_publish(tender=draft, actor=officer)
    with time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False) as travel:
        tender.travel = travel
        open_with(tender, openers[0], openers[1])
    return tender


def test_a_lot_nobody_bid_for_is_unsuccessful_and_re_tendered_as_a_draft(failed, officer):
    assert failed.status == TenderStatus.UNSUCCESSFUL
    lot = failed.lots.get()
    assert lot.status == LotStatus.UNSUCCESSFUL
    draft = lot_retender(lot=lot, actor=officer)
    assert draft.status == TenderStatus.DRAFT
    assert draft.retender_of == lot
    assert draft.title.endswith(failed.title)
    assert draft.bid_close_at is None  # the officer sets new deadlines
    new_lot = draft.lots.get()
    assert (new_lot.title, new_lot.base_amount) == (lot.title, lot.base_amount)
    assert [i.classification_code for i in new_lot.items.all()] == ["56112104"]
    document = draft.documents.get()
    assert (document.title, document.sha256) == ("시방서", failed.documents.get().sha256)
    assert set(draft.opening_officers.all()) == set(failed.opening_officers.all())


def test_only_an_unsuccessful_lot_of_ones_own_agency_is_re_tendered(
    failed, in_bidding, officer, other_officer
):
    with pytest.raises(TenderError, match="unsuccessful"):
        lot_retender(lot=in_bidding.lots.first(), actor=officer)
    with pytest.raises(PermissionDenied):
        lot_retender(lot=failed.lots.get(), actor=other_officer)
