import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.audit import internal_stream, sealed_stream, tender_stream, verify_stream
from core.models import AuditEvent, LiveEvent
from procurement import services
from procurement.exceptions import InvalidDeadlines, NotEditable, QuestionsClosed, TenderError
from procurement.models import Amendment, TenderStatus
from tests.conftest import NOW, deadlines

pytestmark = pytest.mark.django_db


def kinds(tender, stream=tender_stream):
    return list(
        AuditEvent.objects.filter(stream=stream(tender.ocid)).values_list("kind", flat=True)
    )


class TestDraft:
    def test_a_draft_gets_an_ocid_and_an_audited_history(self, make_draft):
        tender = make_draft()
        assert tender.ocid.startswith("ocds-jngt01-")
        assert tender.status == TenderStatus.DRAFT
        assert kinds(tender, internal_stream) == [
            "tender.created",
            "tender.lot_added",
            "tender.item_added",
        ]
        assert kinds(tender) == []  # drafting is never in the public log
        assert verify_stream(internal_stream(tender.ocid)) is None

    def test_ocids_are_unique_and_sequential(self, make_draft):
        first, second = make_draft(), make_draft()
        assert first.ocid != second.ocid
        assert int(second.ocid[-6:]) == int(first.ocid[-6:]) + 1

    def test_only_an_agency_can_issue_a_tender(self, company_a, bidder_a, lowest_price):
        with pytest.raises(TenderError):
            services.tender_create(
                actor=bidder_a,
                buyer=company_a,
                procedure_type=lowest_price,
                title="x",
                **deadlines(timezone.now()),
            )

    def test_an_officer_of_another_agency_cannot_create_for_this_one(
        self, agency, other_officer, lowest_price
    ):
        with pytest.raises(PermissionDenied):
            services.tender_create(
                actor=other_officer, buyer=agency, procedure_type=lowest_price, title="x"
            )

    def test_a_draft_is_edited_only_by_its_agency(self, make_draft, other_officer, officer):
        tender = make_draft()
        with pytest.raises(PermissionDenied):
            services.tender_update(tender=tender, actor=other_officer, title="hijack")
        services.tender_update(tender=tender, actor=officer, title="새 제목")
        tender.refresh_from_db()
        assert tender.title == "새 제목"

    def test_a_lot_needs_a_positive_amount(self, make_draft, officer):
        tender = make_draft(lots=0)
        with pytest.raises(TenderError):
            services.lot_add(tender=tender, actor=officer, title="x", base_amount=0)
        assert not tender.lots.exists()

    def test_documents_are_versioned_with_their_hash(self, make_draft, officer):
        tender = make_draft()
        first = services.document_add(
            tender=tender,
            actor=officer,
            title="공고문",
            upload=SimpleUploadedFile("a.txt", b"version one"),
        )
        second = services.document_add(
            tender=tender,
            actor=officer,
            title="공고문",
            upload=SimpleUploadedFile("a.txt", b"version two"),
        )
        assert (first.version, second.version) == (1, 2)
        assert first.sha256 == hashlib.sha256(b"version one").hexdigest()
        assert second.sha256 == hashlib.sha256(b"version two").hexdigest()
        assert second.file.read() == b"version two"

    def test_an_oversized_document_is_refused(self, make_draft, officer, settings):
        settings.TENDER_DOCUMENT_MAX_BYTES = 10
        tender = make_draft()
        with pytest.raises(TenderError):
            services.document_add(
                tender=tender,
                actor=officer,
                title="big",
                upload=SimpleUploadedFile("big.bin", b"x" * 11),
            )
        assert not tender.documents.exists()


class TestPublish:
    def test_publishing_freezes_the_procedure_terms(self, make_draft, officer, lowest_price):
        tender = services.tender_publish(tender=make_draft(), actor=officer)
        assert tender.status == TenderStatus.NOTICE
        assert tender.published_at is not None
        lowest_price.min_bids = 9
        lowest_price.save()
        tender.refresh_from_db()
        assert tender.terms["min_bids"] == 1

    def test_a_tender_without_lots_cannot_be_published(self, make_draft, officer):
        tender = make_draft(lots=0)
        with pytest.raises(TenderError, match="lot"):
            services.tender_publish(tender=tender, actor=officer)
        tender.refresh_from_db()
        assert tender.status == TenderStatus.DRAFT

    def test_a_lot_without_items_cannot_be_published(self, make_draft, officer):
        tender = make_draft(lots=0)
        services.lot_add(tender=tender, actor=officer, title="empty", base_amount=1000)
        with pytest.raises(TenderError, match="item"):
            services.tender_publish(tender=tender, actor=officer)

    def test_deadlines_out_of_order_are_refused(self, make_draft, officer):
        start = timezone.now()
        tender = make_draft(**deadlines(start, questions=11))
        with pytest.raises(InvalidDeadlines, match="questions"):
            services.tender_publish(tender=tender, actor=officer)

    def test_a_notice_period_shorter_than_the_procedure_allows_is_refused(
        self, make_draft, officer
    ):
        tender = make_draft(
            **deadlines(
                timezone.now(), questions=1, registration=2, bid_open=0.5, bid_close=3, opening=3
            )
        )
        with pytest.raises(InvalidDeadlines, match="7 days"):
            services.tender_publish(tender=tender, actor=officer)

    def test_a_publication_writes_audit_and_live_events(
        self, make_draft, officer, django_capture_on_commit_callbacks
    ):
        tender = make_draft()
        with django_capture_on_commit_callbacks() as callbacks:
            services.tender_publish(tender=tender, actor=officer)
        assert kinds(tender)[-1] == "tender.published"
        assert set(
            LiveEvent.objects.filter(kind="tender.published").values_list("topic", flat=True)
        ) == {"board", f"tender.{tender.pk}"}
        assert len(callbacks) == 1

    def test_a_live_payload_tells_nothing_but_public_notice_data(self, make_draft, officer):
        tender = services.tender_publish(tender=make_draft(), actor=officer)
        payload = LiveEvent.objects.get(topic="board").payload["tender"]
        assert payload["ocid"] == tender.ocid
        assert payload["status"] == "notice"
        assert payload["total_amount"] == 100_000_000
        assert not {"bids", "bid_count", "created_by"} & set(payload)


class TestAmend:
    def test_an_amendment_is_recorded_with_its_changes(self, published, officer):
        tender = published()
        later = tender.bid_close_at + timedelta(days=2)
        amendment = services.tender_amend(
            tender=tender,
            actor=officer,
            reason="현장설명회 추가",
            changes={"bid_close_at": later, "opening_at": later + timedelta(hours=1)},
        )
        tender.refresh_from_db()
        assert tender.bid_close_at == later
        assert tender.amendment_count == 1
        assert tender.notice_number.endswith("-01")
        assert amendment.changes["bid_close_at"][1] == later.isoformat()
        assert kinds(tender)[-1] == "tender.amended"

    def test_a_deadline_cannot_be_brought_forward(self, published, officer):
        tender = published()
        with pytest.raises(InvalidDeadlines):
            services.tender_amend(
                tender=tender,
                actor=officer,
                reason="x",
                changes={"bid_close_at": tender.bid_close_at - timedelta(days=1)},
            )
        assert not Amendment.objects.exists()

    def test_a_late_amendment_extends_the_bid_deadline_as_the_procedure_requires(
        self, published, officer
    ):
        with time_machine.travel(NOW, tick=False):
            tender = published()
        original_close = tender.bid_close_at
        with time_machine.travel(original_close - timedelta(days=1), tick=False):
            services.tender_amend(
                tender=tender,
                actor=officer,
                reason="사양 변경",
                changes={"description": "수정된 사양"},
            )
            now = timezone.now()
        tender.refresh_from_db()
        assert tender.bid_close_at == now + timedelta(days=5)
        assert tender.opening_at >= tender.bid_close_at

    def test_an_amendment_needs_a_reason_and_a_change(self, published, officer):
        tender = published()
        with pytest.raises(TenderError):
            services.tender_amend(tender=tender, actor=officer, reason=" ", changes={"title": "x"})
        with pytest.raises(TenderError, match="nothing"):
            services.tender_amend(
                tender=tender, actor=officer, reason="r", changes={"title": tender.title}
            )

    def test_documents_added_by_amendment_are_listed_in_it(self, published, officer):
        tender = published()
        amendment = services.tender_amend(
            tender=tender,
            actor=officer,
            reason="설계서 추가",
            documents=[("설계서", SimpleUploadedFile("d.pdf", b"%PDF-1.7"))],
        )
        assert amendment.changes["documents"][0]["title"] == "설계서"
        assert tender.documents.filter(title="설계서").exists()

    def test_a_draft_is_edited_not_amended(self, make_draft, officer):
        with pytest.raises(NotEditable):
            services.tender_amend(
                tender=make_draft(), actor=officer, reason="r", changes={"title": "x"}
            )

    def test_another_agency_cannot_amend(self, published, other_officer):
        with pytest.raises(PermissionDenied):
            services.tender_amend(
                tender=published(), actor=other_officer, reason="r", changes={"title": "x"}
            )

    def test_no_amendment_after_the_bid_deadline(self, published, officer):
        with time_machine.travel(NOW, tick=False):
            tender = published()
        with time_machine.travel(tender.bid_close_at, tick=False), pytest.raises(NotEditable):
            services.tender_amend(tender=tender, actor=officer, reason="r", changes={"title": "x"})


class TestQuestions:
    def test_a_bidder_asks_and_the_officer_answers_publicly(
        self, published, bidder_a, company_a, officer
    ):
        tender = published()
        question = services.question_ask(
            tender=tender, actor=bidder_a, organisation=company_a, text="현장 설명회가 있습니까?"
        )
        services.question_answer(question=question, actor=officer, answer="없습니다.")
        question.refresh_from_db()
        assert question.answer == "없습니다."
        assert kinds(tender)[-2:] == ["tender.question_asked", "tender.question_answered"]

    def test_a_person_cannot_ask_for_a_company_they_do_not_belong_to(
        self, published, bidder_a, company_b
    ):
        with pytest.raises(PermissionDenied):
            services.question_ask(
                tender=published(), actor=bidder_a, organisation=company_b, text="?"
            )

    def test_questions_close_at_their_deadline(self, published, bidder_a, company_a):
        with time_machine.travel(NOW, tick=False):
            tender = published()
        with (
            time_machine.travel(tender.questions_close_at, tick=False),
            pytest.raises(QuestionsClosed),
        ):
            services.question_ask(
                tender=tender, actor=bidder_a, organisation=company_a, text="too late"
            )
        with time_machine.travel(tender.questions_close_at - timedelta(seconds=1), tick=False):
            services.question_ask(
                tender=tender, actor=bidder_a, organisation=company_a, text="just in time"
            )

    def test_only_the_buyer_answers(self, published, bidder_a, company_a, other_officer, bidder_b):
        question = services.question_ask(
            tender=published(), actor=bidder_a, organisation=company_a, text="?"
        )
        for intruder in (other_officer, bidder_b):
            with pytest.raises(PermissionDenied):
                services.question_answer(question=question, actor=intruder, answer="no")


class TestWhatThePublicLogTells:
    def test_the_public_log_starts_at_publication(self, make_draft, officer):
        tender = services.tender_publish(tender=make_draft(), actor=officer)
        assert kinds(tender) == ["tender.published"]
        assert kinds(tender, internal_stream)[0] == "tender.created"

    def test_the_public_log_does_not_say_who_asked(self, published, bidder_a, company_a):
        tender = published()
        services.question_ask(tender=tender, actor=bidder_a, organisation=company_a, text="질문")
        public = AuditEvent.objects.get(
            stream=tender_stream(tender.ocid), kind="tender.question_asked"
        )
        assert public.actor_id is None
        assert company_a.code not in str(public.data)
        sealed = AuditEvent.objects.get(stream=sealed_stream(tender.ocid))
        assert (sealed.actor_id, sealed.data["supplier"]) == (bidder_a.pk, company_a.code)


class TestAmendmentWindow:
    def test_the_bidding_window_cannot_be_made_shorter(self, published, officer):
        tender = published()
        squeezed = tender.bid_close_at - timedelta(hours=1)
        with pytest.raises(InvalidDeadlines) as error:
            services.tender_amend(
                tender=tender, actor=officer, reason="r", changes={"bid_open_at": squeezed}
            )
        assert error.value.code == "window"

    def test_the_amendment_period_runs_from_the_opening_of_bidding(self, published, officer):
        with time_machine.travel(NOW, tick=False):
            tender = published()
            later_open = tender.bid_open_at + timedelta(days=8)
            services.tender_amend(
                tender=tender,
                actor=officer,
                reason="일정 조정",
                changes={
                    "bid_open_at": later_open,
                    "bid_close_at": later_open + timedelta(days=9),
                    "opening_at": later_open + timedelta(days=9, hours=1),
                },
            )
        tender.refresh_from_db()
        assert tender.bid_close_at - tender.bid_open_at >= timedelta(days=9)

    def test_an_automatic_extension_lands_on_a_whole_minute(self, published, officer):
        with time_machine.travel(NOW, tick=False):
            tender = published()
        with time_machine.travel(tender.bid_close_at - timedelta(days=1, seconds=-17), tick=False):
            services.tender_amend(
                tender=tender, actor=officer, reason="사양 변경", changes={"description": "수정"}
            )
        tender.refresh_from_db()
        assert tender.bid_close_at.second == 0
        assert tender.bid_close_at.microsecond == 0
