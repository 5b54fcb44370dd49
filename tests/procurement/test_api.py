import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from procurement import services

pytestmark = pytest.mark.django_db


def test_the_public_list_shows_published_tenders_and_never_drafts(client, published, make_draft):
    tender, draft = published(), make_draft()
    data = client.get("/api/v1/tenders/").json()
    ids = [t["id"] for t in data["results"]]
    assert tender.pk in ids
    assert draft.pk not in ids
    row = data["results"][0]
    assert row["ocid"] == tender.ocid
    assert row["total_amount"] == 100_000_000
    assert row["currency"] == "KRW"


def test_the_list_filters_by_status_and_words(client, published, officer):
    chairs = published()
    desks = published()
    services.tender_amend(tender=desks, actor=officer, reason="r", changes={"title": "책상"})
    services.tender_cancel(tender=chairs, actor=officer, reason="r")
    assert [t["id"] for t in client.get("/api/v1/tenders/?q=책상").json()["results"]] == [desks.pk]
    assert [t["id"] for t in client.get("/api/v1/tenders/?status=cancelled").json()["results"]] == [
        chairs.pk
    ]


def test_a_draft_is_not_found_publicly(client, make_draft):
    draft = make_draft()
    assert client.get(f"/api/v1/tenders/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/tenders/{draft.pk}/audit/").status_code == 404
    assert client.get(f"/tenders/{draft.pk}/").status_code == 404


def test_the_detail_has_lots_documents_questions_and_amendments(
    client, published, officer, bidder_a, company_a
):
    tender = published()
    question = services.question_ask(
        tender=tender, actor=bidder_a, organisation=company_a, text="질문"
    )
    services.question_answer(question=question, actor=officer, answer="답변")
    data = client.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert data["lots"][0]["items"][0]["classification_code"] == "56112104"
    assert data["questions"] == [
        {
            "id": question.pk,
            "text": "질문",
            "answer": "답변",
            "asked_at": data["questions"][0]["asked_at"],
            "answered_at": data["questions"][0]["answered_at"],
        }
    ]
    assert "asked_by" not in json.dumps(data)
    assert data["terms"]["method"] == "lowest_price"
    assert data["live_seq"] >= 1


def test_the_audit_download_verifies_offline(client, published, tmp_path):
    tender = published()
    response = client.get(f"/api/v1/tenders/{tender.pk}/audit/")
    document = json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert document["stream"] == f"tender:{tender.ocid}"
    assert [e["kind"] for e in document["events"]][-1] == "tender.published"
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(document))
    call_command("verify_audit", file=path)


def test_live_events_can_be_fetched_after_a_sequence_number(client, published, officer):
    tender = published()
    services.tender_cancel(tender=tender, actor=officer, reason="r")
    data = client.get(f"/api/v1/tenders/{tender.pk}/events/?since=1").json()
    assert [e["kind"] for e in data["events"]] == ["tender.cancelled"]
    assert client.get(f"/api/v1/tenders/{tender.pk}/events/?since=x").status_code == 400


def test_the_openapi_schema_describes_the_tender_endpoints(client):
    response = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/tenders/{id}/" in schema["paths"]
    assert "/api/v1/tenders/" in schema["paths"]


def test_a_draft_cancelled_before_publication_never_becomes_public(client, make_draft, officer):
    draft = make_draft(title="미공개 취소 초안")
    services.tender_cancel(tender=draft, actor=officer, reason="계획 변경")
    assert draft.pk not in [t["id"] for t in client.get("/api/v1/tenders/").json()["results"]]
    assert client.get(f"/api/v1/tenders/{draft.pk}/").status_code == 404
    assert client.get(f"/api/v1/tenders/{draft.pk}/audit/").status_code == 404
    assert "미공개 취소 초안" not in client.get("/?status=cancelled").content.decode()
