"""The pages, as a visitor, a supplier and an officer use them."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from procurement.models import Tender, TenderStatus

pytestmark = pytest.mark.django_db


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_the_board_lists_public_tenders_with_amounts_in_won(client, published, make_draft):
    tender, draft = published(), make_draft(title="비공개 초안")
    page = client.get("/").content.decode()
    assert tender.title in page
    assert "₩100,000,000" in page
    assert "KST" in page
    assert 'data-live-path="/ws/tenders/"' in page
    assert draft.ocid not in page


def test_the_tender_page_shows_notice_lots_deadlines_and_live_hooks(client, published):
    tender = published()
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert tender.ocid in page
    assert "56112104" in page
    assert f'data-live-path="/ws/tenders/{tender.pk}/"' in page
    assert 'data-deadline="' in page
    assert "Asia/Seoul" in page or "KST" in page


def test_pages_switch_between_korean_and_english(client, published):
    tender = published()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Public tenders" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert "질의응답" in page
    assert "Questions and answers" not in page


def test_a_draft_document_is_not_downloadable_by_the_public(client, make_draft, officer):
    from procurement import services

    draft = make_draft()
    document = services.document_add(
        tender=draft,
        actor=officer,
        title="설계서",
        upload=SimpleUploadedFile("s.txt", b"secret draft"),
    )
    url = f"/tenders/{draft.pk}/documents/{document.pk}/"
    assert client.get(url).status_code == 404
    client.force_login(officer)
    response = client.get(url)
    assert b"".join(response.streaming_content) == b"secret draft"


class TestOfficerWorkspace:
    def test_an_officer_drafts_fills_and_publishes_a_tender(
        self, client, officer, agency, lowest_price, openers
    ):
        client.force_login(officer)
        start = timezone.now()
        response = client.post(
            "/agency/tenders/new/",
            {
                "buyer": agency.pk,
                "procedure_type": lowest_price.pk,
                "title": "복사용지 구매",
                "description": "A4 80g",
                "opening_officers": [openers[0].user.pk, openers[2].user.pk],
                "opening_threshold": "2",
                "questions_close_at": local(start + timedelta(days=8)),
                "registration_close_at": local(start + timedelta(days=9)),
                "bid_open_at": local(start + timedelta(days=1)),
                "bid_close_at": local(start + timedelta(days=10)),
                "opening_at": local(start + timedelta(days=10, hours=1)),
            },
        )
        tender = Tender.objects.get(title="복사용지 구매")
        assert response.status_code == 302
        base = f"/agency/tenders/{tender.pk}/"
        assert (
            client.post(base + "lots/", {"title": "A4", "base_amount": "25000000"}).status_code
            == 302
        )
        lot = tender.lots.get()
        assert (
            client.post(
                base + "items/",
                {
                    "lot": lot.pk,
                    "description": "A4 용지",
                    "classification_scheme": "UNSPSC",
                    "classification_code": "14111507",
                    "quantity": "5000",
                    "unit": "box",
                },
            ).status_code
            == 302
        )
        assert (
            client.post(
                base + "documents/",
                {"title": "규격서", "file": SimpleUploadedFile("spec.txt", b"spec")},
            ).status_code
            == 302
        )
        assert client.post(base + "publish/").status_code == 302
        tender.refresh_from_db()
        assert tender.status == TenderStatus.NOTICE
        assert set(openers[0].shares()) == set(openers[2].shares()) == {tender.ocid}
        assert not openers[1].shares()
        page = client.get(f"/tenders/{tender.pk}/").content.decode()
        assert tender.opening_public_key in page

    def test_bad_input_is_refused_with_400_and_changes_nothing(self, client, officer, make_draft):
        tender = make_draft(lots=0)
        client.force_login(officer)
        response = client.post(
            f"/agency/tenders/{tender.pk}/lots/", {"title": "x", "base_amount": "-5"}
        )
        assert response.status_code == 400
        response = client.post(f"/agency/tenders/{tender.pk}/publish/")
        assert response.status_code == 400
        assert "lot" in response.content.decode()
        tender.refresh_from_db()
        assert tender.status == TenderStatus.DRAFT
        assert not tender.lots.exists()

    def test_an_officer_of_another_agency_cannot_reach_the_tender(
        self, client, other_officer, published
    ):
        tender = published()
        client.force_login(other_officer)
        for path in ("", "publish/", "cancel/", "amend/"):
            method = client.get if path == "" else client.post
            assert method(f"/agency/tenders/{tender.pk}/{path}", {"reason": "x"}).status_code == 404
        tender.refresh_from_db()
        assert tender.status == TenderStatus.NOTICE

    def test_a_supplier_has_no_agency_workspace(self, client, bidder_a):
        client.force_login(bidder_a)
        assert client.get("/agency/tenders/").status_code == 403
        assert client.get("/agency/tenders/new/").status_code == 403

    def test_the_workspace_needs_a_login(self, client):
        response = client.get("/agency/tenders/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_amend_and_cancel_from_the_workspace(self, client, officer, published):
        tender = published()
        client.force_login(officer)
        later = tender.bid_close_at + timedelta(days=3)
        response = client.post(
            f"/agency/tenders/{tender.pk}/amend/",
            {
                "reason": "기간 연장",
                "bid_close_at": local(later),
                "opening_at": local(later + timedelta(hours=1)),
            },
        )
        assert response.status_code == 302
        tender.refresh_from_db()
        assert tender.amendment_count == 1
        assert (
            client.post(f"/agency/tenders/{tender.pk}/cancel/", {"reason": "취소 사유"}).status_code
            == 302
        )
        tender.refresh_from_db()
        assert tender.status == TenderStatus.CANCELLED


def test_a_supplier_asks_a_question_on_the_tender_page(client, bidder_a, company_a, published):
    tender = published()
    client.force_login(bidder_a)
    page = client.get(f"/tenders/{tender.pk}/").content.decode()
    assert 'name="text"' in page
    response = client.post(
        f"/tenders/{tender.pk}/questions/", {"organisation": company_a.pk, "text": "납품 장소는?"}
    )
    assert response.status_code == 302
    assert tender.questions.get().text == "납품 장소는?"
    response = client.post(
        f"/tenders/{tender.pk}/questions/", {"organisation": company_a.pk, "text": ""}
    )
    assert response.status_code == 400


def test_amending_again_after_an_automatic_extension_sees_no_phantom_change(
    client, officer, published
):
    from procurement import services
    from tests.conftest import NOW

    with time_machine.travel(NOW, tick=False):
        tender = published()
    with time_machine.travel(tender.bid_close_at - timedelta(days=1, seconds=-17), tick=False):
        services.tender_amend(
            tender=tender, actor=officer, reason="연장", changes={"description": "a"}
        )
        tender.refresh_from_db()
        client.force_login(officer)
        # the form posts back every deadline as shown (to the minute)
        response = client.post(
            f"/agency/tenders/{tender.pk}/amend/",
            {
                "reason": "제목 정정",
                "title": "새 제목",
                **{
                    name: local(getattr(tender, name))
                    for name in (
                        "questions_close_at",
                        "registration_close_at",
                        "bid_open_at",
                        "bid_close_at",
                        "opening_at",
                    )
                },
            },
        )
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.title == "새 제목"
    assert set(tender.amendments.last().changes) == {"title"}
