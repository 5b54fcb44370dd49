import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from bidding.exceptions import RegistrationRefused
from bidding.models import TenderRegistration
from bidding.services import tender_register
from core.audit import sealed_stream, tender_stream, verify_stream
from core.models import AuditEvent, LiveEvent
from suppliers import services as supplier_services
from suppliers.models import Category
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def refusal(error) -> str:
    return " ".join(error.value.messages)


def test_a_verified_licensed_supplier_registers_in_the_window(published, supplier_a, bidder_a):
    tender = published()
    tender.categories.add(Category.objects.get(code="G-FURN"))
    registration = tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    assert registration.registered_by == bidder_a
    assert (
        AuditEvent.objects.filter(
            stream=sealed_stream(tender.ocid), kind="tender.registered"
        ).count()
        == 1
    )
    assert verify_stream(sealed_stream(tender.ocid)) is None


def test_a_registration_is_secret_until_the_opening(client, published, supplier_a, bidder_a):
    tender = published()
    public_before = AuditEvent.objects.filter(stream=tender_stream(tender.ocid)).count()
    live_before = LiveEvent.objects.count()
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    assert AuditEvent.objects.filter(stream=tender_stream(tender.ocid)).count() == public_before
    assert LiveEvent.objects.count() == live_before
    detail = client.get(f"/api/v1/tenders/{tender.pk}/").content.decode()
    assert supplier_a.organisation.code not in detail
    audit = client.get(f"/api/v1/tenders/{tender.pk}/audit/")
    assert supplier_a.organisation.code not in audit.content.decode()
    assert client.get(f"/api/v1/tenders/{tender.pk}/audit/?stream=sealed").status_code == 403


def test_a_second_registration_is_refused_clearly(published, supplier_a, bidder_a):
    tender = published()
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    with pytest.raises(RegistrationRefused) as error:
        tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    assert "already registered" in refusal(error)
    assert TenderRegistration.objects.count() == 1


def test_registration_closes_at_its_deadline(published, supplier_a, bidder_a):
    with time_machine.travel(NOW, tick=False):
        tender = published()
    with (
        time_machine.travel(tender.registration_close_at, tick=False),
        pytest.raises(RegistrationRefused) as error,
    ):
        tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    assert "closed" in refusal(error)
    with time_machine.travel(tender.registration_close_at - timedelta(seconds=1), tick=False):
        tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)


def test_a_draft_takes_no_registrations(make_draft, supplier_a, bidder_a):
    with pytest.raises(RegistrationRefused):
        tender_register(tender=make_draft(), supplier=supplier_a, actor=bidder_a)


def test_a_supplier_without_the_required_licence_is_told_so(published, supplier_a, bidder_a):
    tender = published()
    tender.categories.add(Category.objects.get(code="W-CIVIL"))
    with pytest.raises(RegistrationRefused) as error:
        tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    assert "licence" in refusal(error)


def test_a_suspended_supplier_cannot_register(published, supplier_a, bidder_a, operator):
    tender = published()
    supplier_services.supplier_suspend(
        supplier=supplier_a, actor=operator, reason="담합", until=None
    )
    with pytest.raises(RegistrationRefused) as error:
        tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    assert "suspended" in refusal(error)


def test_an_unverified_supplier_cannot_register(published, company_b, bidder_b):
    from tests.conftest import _supplier

    pending = _supplier(company_b, status="pending")
    with pytest.raises(RegistrationRefused) as error:
        tender_register(tender=published(), supplier=pending, actor=bidder_b)
    assert "not verified" in refusal(error)


def test_nobody_registers_a_company_they_do_not_belong_to(published, supplier_a, bidder_b, officer):
    tender = published()
    for intruder in (bidder_b, officer):
        with pytest.raises(PermissionDenied):
            tender_register(tender=tender, supplier=supplier_a, actor=intruder)
    assert not TenderRegistration.objects.exists()


def test_the_sealed_log_is_published_after_the_opening(client, published, supplier_a, bidder_a):
    from procurement.models import Tender, TenderStatus

    tender = published()
    tender_register(tender=tender, supplier=supplier_a, actor=bidder_a)
    Tender.objects.filter(pk=tender.pk).update(status=TenderStatus.EVALUATION)  # given
    response = client.get(f"/api/v1/tenders/{tender.pk}/audit/?stream=sealed")
    document = json.loads(response.content)
    assert document["stream"] == sealed_stream(tender.ocid)
    assert document["events"][0]["data"]["supplier"] == supplier_a.organisation.code
