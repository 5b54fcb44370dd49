"""The public evaluation page of a tender: every lot's evaluation, award and complaints,
live; the officer's, the bidders' and the review body's actions on the same page, done in
the browser over the API (the officer signs the award with their own key, in the page)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import organisations_where
from core.live import tender_topic, topic_head
from procurement.models import LotStatus, Method, TenderStatus
from procurement.selectors import status_labels_json, tenders_public

from . import selectors
from .models import AwardStatus, ComplaintStatus, ReviewStatus


def _labels() -> dict:
    return {
        "reviews": {s.value: str(s.label) for s in ReviewStatus},
        "awards": {s.value: str(s.label) for s in AwardStatus},
        "complaints": {s.value: str(s.label) for s in ComplaintStatus},
        "lots": {s.value: str(s.label) for s in LotStatus},
        "noKey": _("This browser holds no key for your agency: get a certificate first."),
        "confirmAward": _("Award the lot to this bid? Your signature is published with it."),
        "reason": _("Reason"),
        "evidence": _("Evidence"),
        "capability": _("Capability score"),
        "methods": {m.value: str(m.label) for m in Method},
        "awardTitle": _("Award notice"),
        "awardedTo": _("Awarded to"),
        "standstill": _("Standstill until"),
        "signer": _("Officer's certificate (SHA-256)"),
        "complaintsTitle": _("Complaints docket"),
        "noComplaints": _("No complaint."),
        "filed": _("Filed"),
        "decision": _("Decision"),
        "committee": _(
            "%(members)s members · %(declared)s declared no conflict · "
            "%(submitted)s submitted their scores"
        ),
        "technical": _("technical"),
        "price": _("price"),
        "total": _("total"),
        "done": _("Done."),
        "memberScores": _("The committee's signed scores"),
        "member": _("Member"),
        "bid": _("Bid"),
    }


def evaluation_page(request, pk: int):
    live_seq = topic_head(tender_topic(pk))
    tender = get_object_or_404(tenders_public(), pk=pk)
    user = request.user
    complain = [
        {"award": award.pk, "lot": award.lot.number, "supplier": s.organisation.code,
         "name": s.organisation.name}
        for award, s in selectors.complainable_awards(user, tender)
    ]  # fmt: skip
    config = {
        "tender": tender.pk,
        "ocid": tender.ocid,
        "buyer": tender.buyer.code,
        "state": reverse("api-tender-evaluation", args=[tender.pk]),
        "officer": selectors.may_evaluate(user, tender),
        "reviewer": selectors.is_review_body(user),
        "complain": complain,
        "evaluators": selectors.evaluators_of(tender)
        if selectors.may_evaluate(user, tender)
        else [],
        "api": "/api/v1/",
    }
    return render(
        request,
        "evaluation/evaluation.html",
        {
            "tender": tender,
            "config": config,
            "state": selectors.tender_evaluation_public(tender),
            "labels": _labels(),
            "live_seq": live_seq,
            "opened": tender.status
            not in (
                TenderStatus.NOTICE,
                TenderStatus.BIDDING,
                TenderStatus.OPENING,
                TenderStatus.DRAFT,
            ),
            "statuses_json": status_labels_json(),
        },
    )


@login_required
def committee_page(request):
    """An evaluator's seats: sign the declaration, then score and sign, in the browser."""
    return render(
        request,
        "evaluation/committee.html",
        {
            "config": {"seats": reverse("api-committee-seats"), "api": "/api/v1/"},
            "is_evaluator": organisations_where(request.user, Role.EVALUATOR).exists(),
        },
    )
