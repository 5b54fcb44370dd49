"""Re-tendering an unsuccessful lot: a new draft pre-filled from the old tender, which the
officer completes (deadlines, and anything to change) and publishes as usual."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record, tender_stream

from .exceptions import TenderError
from .models import Lot, LotStatus, Tender
from .selectors import latest_documents
from .services import document_add, item_add, lot_add, tender_create


def lot_retender(*, lot: Lot, actor) -> Tender:
    """A draft for the same buyer and procedure, with the lot, its items, the tender's
    latest documents, categories and opening officers; its deadlines are left to set."""
    old = lot.tender
    if lot.status != LotStatus.UNSUCCESSFUL:
        raise TenderError(_("Only an unsuccessful lot is re-tendered."), code="state")
    with transaction.atomic():
        draft = tender_create(
            actor=actor,
            buyer=old.buyer,
            procedure_type=old.procedure_type,
            title=_("[Re-tender] %(title)s") % {"title": old.title},
            description=old.description,
            categories=list(old.categories.all()),
            opening_officers=list(old.opening_officers.all()),
            opening_threshold=old.opening_threshold,
        )
        Tender.objects.filter(pk=draft.pk).update(retender_of=lot)
        new_lot = lot_add(
            tender=draft,
            actor=actor,
            title=lot.title,
            base_amount=lot.base_amount,
            description=lot.description,
        )
        for item in lot.items.all():
            item_add(
                lot=new_lot,
                actor=actor,
                description=item.description,
                classification_scheme=item.classification_scheme,
                classification_code=item.classification_code,
                quantity=item.quantity,
                unit=item.unit,
            )
        for document in latest_documents(old):
            with document.file.open("rb") as content:
                upload = SimpleUploadedFile(document.filename, content.read())
            document_add(tender=draft, actor=actor, title=document.title, upload=upload)
        audit_record(
            stream=tender_stream(old.ocid),
            kind="lot.retendered",
            actor=actor,
            obj=lot,
            data={"lot": lot.number, "draft": draft.ocid},
        )
    return Tender.objects.get(pk=draft.pk)
