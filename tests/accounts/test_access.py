import pytest

from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_refused_access_is_audited_with_who_and_where(client, bidder_a):
    client.force_login(bidder_a)
    assert client.get("/agency/tenders/new/").status_code == 403
    event = AuditEvent.objects.get(stream="platform", kind="access.denied")
    assert event.actor_id == bidder_a.pk
    assert event.data["path"] == "/agency/tenders/new/"


def test_a_refused_use_case_leaves_only_the_denial_in_the_log(
    client, bidder_a, published, company_a
):
    tender = published()
    before = AuditEvent.objects.filter(stream=f"tender:{tender.ocid}").count()
    client.force_login(bidder_a)
    client.post(f"/agency/tenders/{tender.pk}/publish/")
    assert AuditEvent.objects.filter(stream=f"tender:{tender.ocid}").count() == before
