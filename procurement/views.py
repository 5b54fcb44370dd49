"""Pages: the public board and tender pages, and the procurement officer's workspace.

Each view parses input, calls one service or selector, and renders. A refused use case is
shown on the page it came from with status 400 (403 for a missing role) and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import has_role, organisations_where
from core import clock
from core.live import BOARD, tender_topic, topic_head

from . import selectors, services
from .deadlines import DEADLINE_FIELDS, same_minute
from .exceptions import TenderError
from .forms import (
    AmendForm,
    AnswerForm,
    CancelForm,
    DocumentForm,
    ItemForm,
    LotForm,
    QuestionForm,
    TenderEditForm,
    TenderForm,
)
from .models import CANCELLABLE, Method, Question, Tender, TenderDocument, TenderStatus


def _live_context() -> dict:
    """What the live client needs: status labels in the reader's language."""
    return {"statuses_json": selectors.status_labels_json()}


DEADLINE_LABELS = [
    ("questions_close_at", _lazy("Questions close")),
    ("registration_close_at", _lazy("Registration closes")),
    ("bid_open_at", _lazy("Bidding opens")),
    ("bid_close_at", _lazy("Bid deadline")),
    ("opening_at", _lazy("Opening")),
]


def board(request):
    # The live sequence number is read before any tender: see TenderDetailSerializer.
    live_seq = topic_head(BOARD)
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in TenderStatus.values:
        status = ""
    page = Paginator(selectors.tenders_search(q=q, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "procurement/board.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": [(v, label) for v, label in TenderStatus.choices if v != "draft"],
            "live_seq": live_seq,
            "server_time": clock.now(),
            "filtered": bool(q or status or page.number > 1),
            **_live_context(),
        },
    )


def tender_detail(request, pk: int):
    live_seq = topic_head(tender_topic(pk))  # before the tender is read
    tender = get_object_or_404(selectors.tender_detail_queryset(), pk=pk)
    question_form = None
    if (
        request.user.is_authenticated
        and organisations_where(request.user, Role.BIDDER, Role.SUPPLIER_ADMIN).exists()
    ):
        question_form = QuestionForm(user=request.user)
    return _detail_page(request, tender, question_form, live_seq)


def _detail_page(request, tender, question_form, live_seq, status=200):
    return render(
        request,
        "procurement/tender_detail.html",
        {
            "tender": tender,
            "documents": selectors.latest_documents(tender),
            "live_seq": live_seq,
            "server_time": clock.now(),
            "question_form": question_form,
            "is_officer": has_role(request.user, tender.buyer_id, Role.PROCUREMENT_OFFICER),
            "questions_open": tender.status in (TenderStatus.NOTICE, TenderStatus.BIDDING)
            and clock.now() < tender.questions_close_at,
            "deadline_rows": DEADLINE_LABELS,
            "method_label": Method(tender.terms["method"]).label,
            **_live_context(),
        },
        status=status,
    )


def document_download(request, pk: int, document_id: int):
    document = get_object_or_404(
        TenderDocument.objects.select_related("tender"), pk=document_id, tender_id=pk
    )
    tender = document.tender
    if not tender.is_public and not has_role(
        request.user, tender.buyer_id, Role.PROCUREMENT_OFFICER
    ):
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename)


@login_required
@require_POST
def question_ask(request, pk: int):
    live_seq = topic_head(tender_topic(pk))
    tender = get_object_or_404(selectors.tender_detail_queryset(), pk=pk)
    form = QuestionForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.question_ask(
                tender=tender,
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                text=form.cleaned_data["text"],
            )
        except TenderError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your question was sent. The answer will be public."))
            return redirect("procurement:tender", pk=tender.pk)
    return _detail_page(request, tender, form, live_seq, status=400)


# --- The procurement officer's workspace -----------------------------------------------------


@login_required
def agency_tenders(request):
    if not organisations_where(request.user, Role.PROCUREMENT_OFFICER).exists():
        raise PermissionDenied
    return render(
        request,
        "procurement/agency_tenders.html",
        {"tenders": selectors.tenders_managed_by(request.user)},
    )


@login_required
def tender_new(request):
    form = TenderForm(request.POST or None, user=request.user)
    if not form.fields["buyer"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tender = services.tender_create(
                actor=request.user,
                buyer=data["buyer"],
                procedure_type=data["procedure_type"],
                title=data["title"],
                description=data["description"],
                categories=data["categories"],
                opening_officers=data["opening_officers"],
                opening_threshold=data["opening_threshold"],
                **{name: data[name] for name in DEADLINE_FIELDS},
            )
        except TenderError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft created. Add lots and items, then publish."))
            return redirect("procurement:manage", pk=tender.pk)
    return render(
        request, "procurement/tender_new.html", {"form": form}, status=400 if form.is_bound else 200
    )


def _managed(request, pk: int) -> Tender:
    tender = get_object_or_404(selectors.tenders_managed_by(request.user), pk=pk)
    return tender


def _manage_page(request, tender, status=200, **bound):
    lots = list(tender.lots.prefetch_related("items"))
    initial = {
        name: getattr(tender, name)
        for name in ("title", "description", "procedure_type", *DEADLINE_FIELDS)
    }
    initial["categories"] = list(tender.categories.all())
    initial["opening_officers"] = list(tender.opening_officers.all())
    initial["opening_threshold"] = tender.opening_threshold
    forms = {
        "edit_form": TenderEditForm(initial=initial, user=request.user),
        "lot_form": LotForm(),
        "item_form": ItemForm(lots=lots),
        "document_form": DocumentForm(),
        "amend_form": AmendForm(initial=initial),
        "cancel_form": CancelForm(),
        **bound,
    }
    return render(
        request,
        "procurement/tender_manage.html",
        {
            "tender": tender,
            "lots": lots,
            "documents": tender.documents.order_by("title", "-version"),
            "questions": tender.questions.order_by("asked_at"),
            "answer_form": AnswerForm(),
            "cancellable": CANCELLABLE,
            **forms,
        },
        status=status,
    )


@login_required
def tender_manage(request, pk: int):
    return _manage_page(request, _managed(request, pk))


def _action(request, tender, form_name, form, call, success):
    """Run one service from a workspace form; on refusal show the page again with 400."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except TenderError as error:
            form.add_error(None, error)
        else:
            messages.success(request, success)
            return redirect("procurement:manage", pk=tender.pk)
    return _manage_page(request, tender, status=400, **{form_name: form})


@login_required
@require_POST
def tender_edit(request, pk: int):
    tender = _managed(request, pk)
    form = TenderEditForm(request.POST, user=request.user)
    return _action(
        request,
        tender,
        "edit_form",
        form,
        lambda d: services.tender_update(tender=tender, actor=request.user, **d),
        _("Draft saved."),
    )


@login_required
@require_POST
def lot_add(request, pk: int):
    tender = _managed(request, pk)
    return _action(
        request,
        tender,
        "lot_form",
        LotForm(request.POST),
        lambda d: services.lot_add(tender=tender, actor=request.user, **d),
        _("Lot added."),
    )


@login_required
@require_POST
def item_add(request, pk: int):
    tender = _managed(request, pk)
    form = ItemForm(request.POST, lots=tender.lots.all())

    def call(data):
        lot = tender.lots.get(pk=data.pop("lot"))
        services.item_add(lot=lot, actor=request.user, **data)

    return _action(request, tender, "item_form", form, call, _("Item added."))


@login_required
@require_POST
def document_add(request, pk: int):
    tender = _managed(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    return _action(
        request,
        tender,
        "document_form",
        form,
        lambda d: services.document_add(
            tender=tender, actor=request.user, title=d["title"], upload=d["file"]
        ),
        _("Document uploaded."),
    )


@login_required
@require_POST
def tender_publish(request, pk: int):
    tender = _managed(request, pk)
    try:
        services.tender_publish(tender=tender, actor=request.user)
    except TenderError as error:
        messages.error(request, " ".join(error.messages))
        return _manage_page(request, tender, status=400)
    messages.success(request, _("The tender is published."))
    return redirect("procurement:manage", pk=tender.pk)


def _unchanged(name: str, value, tender: Tender) -> bool:
    current = getattr(tender, name)
    if name in DEADLINE_FIELDS:
        return same_minute(value, current)  # the form shows deadlines to the minute
    return value == current


@login_required
@require_POST
def tender_amend(request, pk: int):
    tender = _managed(request, pk)
    form = AmendForm(request.POST, request.FILES)

    def call(data):
        changes = {
            name: data[name]
            for name in ("title", "description", *DEADLINE_FIELDS)
            if data.get(name) not in (None, "") and not _unchanged(name, data[name], tender)
        }
        documents = (
            [(data["document_title"], data["document_file"])] if data.get("document_file") else []
        )
        services.tender_amend(
            tender=tender,
            actor=request.user,
            reason=data["reason"],
            changes=changes,
            documents=documents,
        )

    return _action(request, tender, "amend_form", form, call, _("Amendment published."))


@login_required
@require_POST
def tender_cancel(request, pk: int):
    tender = _managed(request, pk)
    return _action(
        request,
        tender,
        "cancel_form",
        CancelForm(request.POST),
        lambda d: services.tender_cancel(tender=tender, actor=request.user, reason=d["reason"]),
        _("The tender is cancelled."),
    )


@login_required
@require_POST
def question_answer(request, pk: int, question_id: int):
    tender = _managed(request, pk)
    question = get_object_or_404(Question, pk=question_id, tender=tender)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.question_answer(
                question=question, actor=request.user, answer=form.cleaned_data["answer"]
            )
        except TenderError as error:
            messages.error(request, " ".join(error.messages))
            return _manage_page(request, tender, status=400)
        messages.success(request, _("Answer published."))
        return redirect("procurement:manage", pk=tender.pk)
    messages.error(request, _("Write the answer first."))
    return _manage_page(request, tender, status=400)
