"""Tender use cases. Each one: lock, check who acts, change, audit, and publish after commit.

Preconditions are stated on each service; violations raise `TenderError` (a clear 4xx for the
caller) or `PermissionDenied`, and change nothing.
"""

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from accounts.models import Organisation, OrganisationKind, Role
from accounts.permissions import has_role, require_role
from core import clock
from core.audit import audit_record, internal_stream, sealed_stream, tender_stream
from core.streams import stream_advance

from . import events
from .deadlines import DEADLINE_FIELDS, amended_deadlines, deadlines_check
from .exceptions import NotEditable, QuestionsClosed, TenderError
from .lots import lots_cancel
from .models import (
    Amendment,
    Item,
    Lot,
    ProcedureType,
    Question,
    Tender,
    TenderDocument,
    TenderStatus,
)

EDITABLE_FIELDS = (
    "title",
    "description",
    "procedure_type",
    "categories",
    "opening_officers",
    "opening_threshold",
    *DEADLINE_FIELDS,
)
MAX_OPENING_OFFICERS = 16  # the most members a SLIP-39 share set has
AMENDABLE_FIELDS = ("title", "description", *DEADLINE_FIELDS)


def _locked(tender: Tender) -> Tender:
    return Tender.objects.select_for_update().select_related("procedure_type").get(pk=tender.pk)


def _require_officer(tender: Tender, actor) -> None:
    require_role(actor, tender.buyer_id, Role.PROCUREMENT_OFFICER)


def _require_transition(method, actor, label: str) -> None:
    tender = method.__self__
    if not has_transition_perm(method, actor):
        if not can_proceed(method):
            raise TenderError(
                _("A tender in status “%(status)s” cannot be %(action)s.")
                % {"status": tender.get_status_display(), "action": label},
                code="state",
            )
        raise PermissionDenied(_("You may not do this for this tender."))


def _audit(tender: Tender, kind: str, actor, data: dict | None = None, obj=None) -> None:
    """Write to the tender's public stream once it is published, to its internal stream
    before (the drafting of a notice is the agency's own business)."""
    stream = tender_stream(tender.ocid) if tender.is_public else internal_stream(tender.ocid)
    audit_record(stream=stream, kind=kind, actor=actor, obj=obj or tender, data=data or {})


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ProcedureType):
        return value.code
    return value


def opening_designation_check(tender: Tender, officers, threshold: int) -> None:
    """Refuse opening officers who are not the buyer's, or a threshold the shares cannot
    have: k of n with 1 <= k <= n <= 16, and k = 1 only for a single officer (a share that
    opens alone would be the key itself, handed to several people)."""
    officers = list(officers)
    strangers = [
        user.get_username()
        for user in officers
        if not has_role(user, tender.buyer_id, Role.OPENING_OFFICER)
    ]
    if strangers:
        raise TenderError(
            _("Not opening officers of %(buyer)s: %(names)s")
            % {"buyer": tender.buyer.name, "names": ", ".join(strangers)},
            code="opening_officers",
        )
    count = len(officers)
    if count > MAX_OPENING_OFFICERS:
        raise TenderError(
            _("At most %(max)s opening officers.") % {"max": MAX_OPENING_OFFICERS},
            code="opening_officers",
        )
    if count and not (1 <= threshold <= count and (threshold > 1 or count == 1)):
        raise TenderError(
            _(
                "With %(n)s opening officers, from 2 to %(n)s of them must be needed to open "
                "the bids (one alone only when there is a single officer)."
            )
            % {"n": count},
            code="opening_threshold",
        )


def _next_ocid(now: datetime) -> str:
    head = stream_advance("sequence:tender")
    head.save(update_fields=["position"])
    return f"{settings.OCDS_PREFIX}-{now:%Y}{head.position:06d}"


def tender_create(
    *,
    actor,
    buyer: Organisation,
    procedure_type: ProcedureType,
    title: str,
    description: str = "",
    categories=(),
    opening_officers=(),
    opening_threshold: int = 1,
    **deadlines: datetime | None,
) -> Tender:
    """Start a draft tender for `buyer`. The actor must be one of its procurement officers.
    `categories`: the licences suppliers need (one of them); none means any supplier.
    `opening_officers`: the buyer's opening officers who will hold the opening key's shares,
    `opening_threshold` of them needed to open (both may be set later, before publishing)."""
    if buyer.kind != OrganisationKind.AGENCY:
        raise TenderError(_("Only a public agency can issue tenders."), code="not_agency")
    require_role(actor, buyer, Role.PROCUREMENT_OFFICER)
    unknown = set(deadlines) - set(DEADLINE_FIELDS)
    if unknown:
        raise TypeError(f"unknown deadline fields: {sorted(unknown)}")
    with transaction.atomic():
        now = clock.now()
        tender = Tender.objects.create(
            ocid=_next_ocid(now),
            title=title,
            description=description,
            buyer=buyer,
            procedure_type=procedure_type,
            created_by=actor,
            opening_threshold=opening_threshold,
            **deadlines,
        )
        opening_designation_check(tender, opening_officers, opening_threshold)
        tender.categories.set(categories)
        tender.opening_officers.set(opening_officers)
        _audit(
            tender,
            "tender.created",
            actor,
            {
                "title": title,
                "buyer": buyer.code,
                "procedure_type": procedure_type.code,
                "categories": sorted(c.code for c in categories),
                "opening_officers": sorted(user.get_username() for user in opening_officers),
                "opening_threshold": opening_threshold,
            },
        )
    return tender


def tender_update(*, tender: Tender, actor, **changes) -> Tender:
    """Change a draft's fields. Published tenders change only through `tender_amend`."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"fields not editable: {sorted(unknown)}")
    with transaction.atomic():
        tender = _locked(tender)
        _require_officer(tender, actor)
        if tender.status != TenderStatus.DRAFT:
            raise NotEditable(
                _("Only a draft can be edited; amend a published tender."), code="not_draft"
            )
        categories = changes.pop("categories", None)
        officers = changes.pop("opening_officers", None)
        if officers is not None or "opening_threshold" in changes:
            opening_designation_check(
                tender,
                tender.opening_officers.all() if officers is None else officers,
                changes.get("opening_threshold", tender.opening_threshold),
            )
        for name, value in changes.items():
            setattr(tender, name, value)
        tender.save(update_fields=[*changes, "updated_at"])
        if categories is not None:
            tender.categories.set(categories)
            changes["categories"] = sorted(c.code for c in categories)
        if officers is not None:
            tender.opening_officers.set(officers)
            changes["opening_officers"] = sorted(user.get_username() for user in officers)
        _audit(
            tender,
            "tender.updated",
            actor,
            {name: _json_value(value) for name, value in changes.items()},
        )
    return tender


def lot_add(*, tender: Tender, actor, title: str, base_amount: int, description: str = "") -> Lot:
    """Add a lot to a draft. Amounts are whole won and must be positive."""
    if int(base_amount) <= 0:
        raise TenderError(_("The base amount must be a positive number of won."), code="amount")
    with transaction.atomic():
        tender = _locked(tender)
        _require_officer(tender, actor)
        if tender.status != TenderStatus.DRAFT:
            raise NotEditable(_("Lots can only be added to a draft."), code="not_draft")
        number = tender.lots.count() + 1
        lot = Lot.objects.create(
            tender=tender,
            number=number,
            title=title,
            description=description,
            base_amount=int(base_amount),
        )
        _audit(
            tender,
            "tender.lot_added",
            actor,
            {"lot": number, "title": title, "base_amount": int(base_amount)},
            obj=lot,
        )
    return lot


def item_add(
    *,
    lot: Lot,
    actor,
    description: str,
    classification_scheme: str,
    classification_code: str,
    quantity,
    unit: str,
) -> Item:
    with transaction.atomic():
        tender = _locked(lot.tender)
        _require_officer(tender, actor)
        if tender.status != TenderStatus.DRAFT:
            raise NotEditable(_("Items can only be added to a draft."), code="not_draft")
        item = Item(
            lot=lot,
            description=description,
            classification_scheme=classification_scheme,
            classification_code=classification_code,
            quantity=quantity,
            unit=unit,
        )
        item.full_clean()
        if item.quantity <= 0:
            raise TenderError(_("The quantity must be positive."), code="quantity")
        item.save()
        _audit(
            tender,
            "tender.item_added",
            actor,
            {
                "lot": lot.number,
                "description": description,
                "classification": f"{classification_scheme}:{classification_code}",
                "quantity": str(item.quantity),
                "unit": unit,
            },
            obj=item,
        )
    return item


def _document_store(
    tender: Tender, actor, title: str, upload: UploadedFile, now: datetime
) -> TenderDocument:
    if upload.size > settings.TENDER_DOCUMENT_MAX_BYTES:
        raise TenderError(
            _("The file is larger than the %(mb)s MB allowed.")
            % {"mb": settings.TENDER_DOCUMENT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    last = tender.documents.filter(title=title).order_by("-version").first()
    document = TenderDocument(
        tender=tender,
        title=title,
        version=(last.version + 1) if last else 1,
        filename=upload.name[-200:],
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    # The file is written before its row commits; after a rollback it stays unreferenced
    # under a name derived from its hash, which is harmless and never served.
    document.file.save(upload.name, upload, save=False)
    document.save()
    return document


def document_add(*, tender: Tender, actor, title: str, upload: UploadedFile) -> TenderDocument:
    """Attach a document (or its next version) to a draft. Published tenders attach
    documents through an amendment, so suppliers are told."""
    with transaction.atomic():
        tender = _locked(tender)
        _require_officer(tender, actor)
        if tender.status != TenderStatus.DRAFT:
            raise NotEditable(
                _("Documents of a published tender change only by amendment."), code="not_draft"
            )
        document = _document_store(tender, actor, title, upload, clock.now())
        _audit(
            tender,
            "tender.document_added",
            actor,
            {
                "title": title,
                "version": document.version,
                "sha256": document.sha256,
                "size": document.size,
            },
            obj=document,
        )
    return document


def tender_publish(*, tender: Tender, actor) -> Tender:
    """Publish a draft as a notice. It needs at least one lot, every lot at least one item,
    and deadlines that follow the procedure's rules; its procedure terms are frozen."""
    with transaction.atomic():
        tender = _locked(tender)
        _require_transition(tender.publish, actor, _("published"))
        now = clock.now()
        lots = list(tender.lots.prefetch_related("items"))
        if not lots:
            raise TenderError(_("Add at least one lot before publishing."), code="no_lots")
        empty = [str(lot.number) for lot in lots if not lot.items.all()]
        if empty:
            raise TenderError(
                _("Every lot needs at least one item (lots %(lots)s have none).")
                % {"lots": ", ".join(empty)},
                code="no_items",
            )
        deadlines_check(
            {name: getattr(tender, name) for name in DEADLINE_FIELDS},
            now=now,
            notice_period_days=tender.procedure_type.notice_period_days,
        )
        officers = list(tender.opening_officers.all())
        if not officers:
            raise TenderError(
                _("Designate the opening officers who will hold the opening key's shares."),
                code="opening_officers",
            )
        opening_designation_check(tender, officers, tender.opening_threshold)
        tender.publish(now=now, terms=tender.procedure_type.terms())
        # The opening key and its shares are made in this transaction: a notice is never
        # public without the key its bids are sealed to.
        tender.sealing = import_string(settings.TENDER_SEALING_PREPARE)(
            tender=tender, lots=lots, officers=officers, now=now
        )
        tender.save()
        _audit(
            tender,
            "tender.published",
            actor,
            {
                "terms": tender.procedure_terms,
                "deadlines": {n: getattr(tender, n).isoformat() for n in DEADLINE_FIELDS},
                "lots": [{"number": lot.number, "base_amount": lot.base_amount} for lot in lots],
                "documents": list(tender.documents.values("title", "version", "sha256")),
                "categories": sorted(tender.categories.values_list("code", flat=True)),
                "opening": {
                    "officers": sorted(user.get_username() for user in officers),
                    "threshold": tender.opening_threshold,
                },
                "sealing": tender.sealing,
            },
        )
        events.tender_changed(tender, events.TENDER_PUBLISHED)
    return tender


def tender_amend(
    *,
    tender: Tender,
    actor,
    reason: str,
    changes: dict | None = None,
    documents: list[tuple[str, UploadedFile]] = (),
) -> Amendment:
    """Amend a tender in notice or bidding, before its bid deadline.

    Deadlines may only move later; if less than the procedure's amendment period would
    remain, the bid deadline (and the opening with it) is extended automatically.
    """
    changes = dict(changes or {})
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise TypeError(f"fields not amendable: {sorted(unknown)}")
    if not reason.strip():
        raise TenderError(_("An amendment needs a reason."), code="reason")
    with transaction.atomic():
        tender = _locked(tender)
        _require_officer(tender, actor)
        now = clock.now()
        if (
            tender.status not in (TenderStatus.NOTICE, TenderStatus.BIDDING)
            or now >= tender.bid_close_at
        ):
            raise NotEditable(
                _("Only a tender in notice or bidding, before its bid deadline, can be amended."),
                code="state",
            )
        current = {name: getattr(tender, name) for name in DEADLINE_FIELDS}
        requested = {name: changes.pop(name) for name in DEADLINE_FIELDS if name in changes}
        new_deadlines = amended_deadlines(
            current, requested, now=now, amendment_period_days=tender.terms["amendment_period_days"]
        )
        deadlines_check(new_deadlines, now=now)
        diff = {}
        for name, value in {**changes, **new_deadlines}.items():
            old = getattr(tender, name)
            if old != value:
                diff[name] = [_json_value(old), _json_value(value)]
                setattr(tender, name, value)
        for title, upload in documents:
            document = _document_store(tender, actor, title, upload, now)
            diff.setdefault("documents", []).append(
                {"title": title, "version": document.version, "sha256": document.sha256}
            )
        if not diff:
            raise TenderError(_("The amendment changes nothing."), code="empty")
        tender.amendment_count += 1
        tender.save()
        amendment = Amendment.objects.create(
            tender=tender,
            number=tender.amendment_count,
            reason=reason,
            changes=diff,
            created_by=actor,
            created_at=now,
        )
        _audit(
            tender,
            "tender.amended",
            actor,
            {"number": amendment.number, "reason": reason, "changes": diff},
        )
        events.tender_changed(
            tender,
            events.TENDER_AMENDED,
            extra={"amendment": {"number": amendment.number, "reason": reason, "changes": diff}},
        )
    return amendment


def tender_cancel(*, tender: Tender, actor, reason: str) -> Tender:
    """Cancel a tender before contracting, with a reason the public will read."""
    if not reason.strip():
        raise TenderError(_("A cancellation needs a reason."), code="reason")
    with transaction.atomic():
        tender = _locked(tender)
        _require_transition(tender.cancel, actor, _("cancelled"))
        was_public = tender.is_public
        tender.cancel(now=clock.now(), reason=reason.strip())
        tender.save()
        lots_cancel(tender=tender, reason=tender.cancel_reason)
        _audit(tender, "tender.cancelled", actor, {"reason": tender.cancel_reason})
        if was_public:
            events.tender_changed(tender, events.TENDER_CANCELLED)
    return tender


def question_ask(*, tender: Tender, actor, organisation: Organisation, text: str) -> Question:
    """A supplier's bidder or administrator asks a question before questions close."""
    text = text.strip()
    if not text:
        raise TenderError(_("Write your question first."), code="empty")
    require_role(actor, organisation, Role.BIDDER, Role.SUPPLIER_ADMIN)
    with transaction.atomic():
        tender = _locked(tender)
        now = clock.now()
        if (
            tender.status not in (TenderStatus.NOTICE, TenderStatus.BIDDING)
            or now >= tender.questions_close_at
        ):
            raise QuestionsClosed(_("Questions for this tender are closed."), code="closed")
        question = Question.objects.create(
            tender=tender, text=text, asked_by=actor, asked_for=organisation, asked_at=now
        )
        # The public log shows the question, not who asked: that goes to the sealed stream.
        _audit(
            tender,
            "tender.question_asked",
            None,
            {"question": question.pk, "text": text},
            obj=question,
        )
        audit_record(
            stream=sealed_stream(tender.ocid),
            kind="tender.question_asked_by",
            actor=actor,
            obj=question,
            data={"question": question.pk, "supplier": organisation.code},
        )
        events.tender_changed(
            tender,
            events.QUESTION_ASKED,
            board=False,
            extra={"question": {"id": question.pk, "text": text, "asked_at": now.isoformat()}},
        )
    return question


def question_answer(*, question: Question, actor, answer: str) -> Question:
    """The buyer's procurement officer answers (or corrects an answer) publicly."""
    answer = answer.strip()
    if not answer:
        raise TenderError(_("Write the answer first."), code="empty")
    with transaction.atomic():
        tender = _locked(question.tender)
        _require_officer(tender, actor)
        if tender.status in (TenderStatus.DRAFT, TenderStatus.CANCELLED):
            raise TenderError(_("This tender takes no answers."), code="state")
        question = Question.objects.select_for_update().get(pk=question.pk)
        now = clock.now()
        question.answer, question.answered_by, question.answered_at = answer, actor, now
        question.save(update_fields=["answer", "answered_by", "answered_at"])
        _audit(
            tender,
            "tender.question_answered",
            actor,
            {"question": question.pk, "answer": answer},
            obj=question,
        )
        events.tender_changed(
            tender,
            events.QUESTION_ANSWERED,
            board=False,
            extra={
                "question": {
                    "id": question.pk,
                    "text": question.text,
                    "answer": answer,
                    "answered_at": now.isoformat(),
                }
            },
        )
    return question
