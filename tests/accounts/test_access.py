import pytest

from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_refused_access_is_audited_with_who_and_where(client, bidder_a):
    client.force_login(bidder_a)
    assert client.get("/agency/tenders/new/").status_code == 403
    event = AuditEvent.objects.get(stream="platform", kind="access.denied")
    assert event.actor_id == bidder_a.pk
    assert event.data["path"] == "/agency/tenders/new/"


def test_another_agencys_officer_finds_no_tender_to_act_on(client, other_officer, make_draft):
    draft = make_draft()
    internal = AuditEvent.objects.filter(stream=f"internal:{draft.ocid}").count()
    client.force_login(other_officer)
    assert client.post(f"/agency/tenders/{draft.pk}/publish/").status_code == 404
    assert client.post(f"/agency/tenders/{draft.pk}/cancel/", {"reason": "x"}).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert AuditEvent.objects.filter(stream=f"internal:{draft.ocid}").count() == internal
