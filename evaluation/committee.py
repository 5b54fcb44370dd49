"""Best value: the evaluation committee.

The officer appoints at least three evaluators of the buying agency (not themselves). Each
member first signs a declaration that they have no conflict of interest with any bidder of
the lot, then scores every opened bid on every technical criterion of the tender, alone, and
signs the score sheet; nobody, the officer included, sees a member's scores before every
member has submitted. When the last sheet is in, the technical score of each bid is the sum
over criteria of the members' mean (without the highest and lowest from five members on,
evaluation.scoring); bids below the technical threshold are out; the rest are ranked by the
weighted total of technical and price scores, and the first is proposed for award.

What members sign is canonical JSON (RFC 8785), so their client can build it from what they
send: see `declaration_statement` and `scoresheet_statement`.
"""

import re
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.permissions import has_role
from bidding.envelope import canonical_json
from core import clock
from esign.person_signature import person_signature_check
from procurement.models import LotStatus, Method

from . import events
from .exceptions import EvaluationError
from .models import BidReview, CommitteeMember, Evaluation, TechnicalScore
from .scoring import best_value_price_score, best_value_total, criterion_mean, rounded
from .services import _propose_next, _require_officer, lot_audit

MIN_MEMBERS = 3
SCORE = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,2})?$")
DECLARATION = (
    "I declare that I have no conflict of interest with any bidder of this lot: no family, "
    "employment, financial or other tie that could affect my judgement, and that I will "
    "score alone and keep the bids and my scores confidential until the award."
)


def _evaluation_locked(evaluation: Evaluation) -> Evaluation:
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("lot__tender")
        .get(pk=evaluation.pk)
    )
    if evaluation.method != Method.BEST_VALUE:
        raise EvaluationError(_("Only a best-value lot has a committee."), code="method")
    if evaluation.lot.status != LotStatus.EVALUATION:
        raise EvaluationError(_("The lot is not under evaluation."), code="state")
    return evaluation


def committee_appoint(*, evaluation: Evaluation, actor, members: list[User]) -> list:
    """The buyer's procurement officer appoints the committee, once."""
    with transaction.atomic():
        evaluation = _evaluation_locked(evaluation)
        lot = evaluation.lot
        _require_officer(lot, actor)
        if evaluation.members.exists():
            raise EvaluationError(_("The committee is already appointed."), code="appointed")
        people = {member.pk: member for member in members}
        if len(people) < MIN_MEMBERS:
            raise EvaluationError(
                _("Appoint at least %(n)s different evaluators.") % {"n": MIN_MEMBERS},
                code="members",
            )
        for person in people.values():
            if person.pk == actor.pk or not has_role(person, lot.tender.buyer_id, Role.EVALUATOR):
                raise EvaluationError(
                    _("%(name)s is not an evaluator of the buying agency.")
                    % {"name": person.display_name or person.username},
                    code="members",
                )
        now = clock.now()
        appointed = [
            CommitteeMember.objects.create(
                evaluation=evaluation, member=person, appointed_by=actor, appointed_at=now
            )
            for person in people.values()
        ]
        lot_audit(lot, "committee.appointed", actor, {"members": len(appointed)}, evaluation)
        events.committee_changed(evaluation)
    return appointed


def committee_bids(evaluation: Evaluation) -> list[BidReview]:
    return list(
        evaluation.reviews.select_related("bid__supplier__organisation").order_by("bid__sha256")
    )


def declaration_statement(membership: CommitteeMember) -> bytes:
    lot = membership.evaluation.lot
    return canonical_json(
        {
            "format": "jangteo-declaration/1",
            "tender": lot.tender.ocid,
            "lot": lot.number,
            "member": membership.member_id,
            "bidders": [
                {
                    "supplier": r.bid.supplier.organisation.code,
                    "name": r.bid.supplier.organisation.name,
                }
                for r in committee_bids(membership.evaluation)
            ],
            "declaration": DECLARATION,
        }
    )


def _membership_locked(membership: CommitteeMember, actor) -> CommitteeMember:
    membership = (
        CommitteeMember.objects.select_for_update(of=("self",))
        .select_related("evaluation__lot__tender")
        .get(pk=membership.pk)
    )
    if membership.member_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the member signs for themselves."))
    if membership.evaluation.lot.status != LotStatus.EVALUATION:
        raise EvaluationError(_("The lot is not under evaluation."), code="state")
    return membership


def declaration_sign(*, membership: CommitteeMember, actor, signature: bytes) -> CommitteeMember:
    """The member signs the no-conflict declaration; only then may they see and score bids."""
    with transaction.atomic():
        membership = _membership_locked(membership, actor)
        if membership.declared_at is not None:
            raise EvaluationError(_("You have already declared."), code="declared")
        statement = declaration_statement(membership)
        person_signature_check(
            signature=signature,
            content=statement,
            person=actor,
            organisation=membership.evaluation.lot.tender.buyer,
        )
        membership.declaration, membership.declaration_signature = statement, signature
        membership.declared_at = clock.now()
        membership.save()
        lot_audit(
            membership.evaluation.lot,
            "committee.declared",
            actor,
            {"member": membership.pk},
            membership,
        )
    return membership


def scoresheet_statement(membership: CommitteeMember, scores: list[dict]) -> bytes:
    """`scores`: [{"bid": envelope SHA-256, "criterion": code, "score": "12.5"}], one per
    bid and criterion; the score strings are signed exactly as given."""
    lot = membership.evaluation.lot
    return canonical_json(
        {
            "format": "jangteo-scoresheet/1",
            "tender": lot.tender.ocid,
            "lot": lot.number,
            "member": membership.member_id,
            "scores": sorted(
                (
                    {"bid": s["bid"], "criterion": s["criterion"], "score": s["score"]}
                    for s in scores
                ),
                key=lambda s: (s["bid"], s["criterion"]),
            ),
        }
    )


def _scores_check(evaluation: Evaluation, scores: list[dict]) -> dict:
    """{(review, criterion code): Decimal} when `scores` covers every bid and criterion once,
    each within its points; else EvaluationError."""
    criteria = {
        c["code"]: Decimal(c["points"]) for c in evaluation.lot.tender.terms["technical_criteria"]
    }
    reviews = {r.bid.sha256: r for r in committee_bids(evaluation)}
    checked = {}
    for item in scores:
        review, code, text = reviews.get(item.get("bid")), item.get("criterion"), item.get("score")
        if (
            review is None
            or code not in criteria
            or not isinstance(text, str)
            or not SCORE.match(text)
        ):
            raise EvaluationError(
                _("Each score names a bid, a criterion and a number."), code="scores"
            )
        if not 0 <= Decimal(text) <= criteria[code]:
            raise EvaluationError(
                _("A score on “%(criterion)s” is between 0 and %(points)s.")
                % {"criterion": code, "points": criteria[code]},
                code="scores",
            )
        if (review.pk, code) in checked:
            raise EvaluationError(_("A bid is scored twice on one criterion."), code="scores")
        checked[(review.pk, code)] = (review, code, Decimal(text))
    if len(checked) != len(reviews) * len(criteria):
        raise EvaluationError(_("Score every bid on every criterion."), code="scores")
    return checked


def scoresheet_submit(
    *, membership: CommitteeMember, actor, scores: list[dict], signature: bytes
) -> CommitteeMember:
    """The member submits their signed scores. The last member's sheet concludes."""
    with transaction.atomic():
        membership = _membership_locked(membership, actor)
        evaluation = membership.evaluation
        if membership.declared_at is None:
            raise EvaluationError(_("Sign the declaration first."), code="undeclared")
        if membership.submitted_at is not None:
            raise EvaluationError(_("Your scores are already submitted."), code="submitted")
        checked = _scores_check(evaluation, scores)
        statement = scoresheet_statement(membership, scores)
        person_signature_check(
            signature=signature,
            content=statement,
            person=actor,
            organisation=evaluation.lot.tender.buyer,
        )
        TechnicalScore.objects.bulk_create(
            TechnicalScore(member=membership, review=review, criterion=code, score=score)
            for review, code, score in checked.values()
        )
        membership.scoresheet, membership.scoresheet_signature = statement, signature
        membership.submitted_at = clock.now()
        membership.save()
        lot_audit(evaluation.lot, "committee.scored", actor, {"member": membership.pk}, membership)
        if not evaluation.members.filter(submitted_at__isnull=True).exists():
            committee_conclude(evaluation)
        else:
            events.committee_changed(evaluation)
    return membership


def committee_conclude(evaluation: Evaluation) -> None:
    """Every sheet is in: technical scores, the threshold, totals, ranking; the first ranked
    is proposed (none: the lot is unsuccessful)."""
    terms = evaluation.lot.tender.terms
    criteria = [c["code"] for c in terms["technical_criteria"]]
    points = sum(Decimal(c["points"]) for c in terms["technical_criteria"])
    threshold = Fraction(points) * Fraction(Decimal(terms["technical_threshold_pct"])) / 100
    reviews = list(evaluation.reviews.select_for_update().select_related("bid"))
    qualified = []
    for review in reviews:
        by_criterion = {code: [] for code in criteria}
        for score in review.scores.all():
            by_criterion[score.criterion].append(score.score)
        technical = rounded(sum((criterion_mean(s) for s in by_criterion.values()), Fraction(0)))
        if technical < threshold:
            review.technical_fail(
                technical=technical,
                reason=_("Technical score %(score)s below the threshold %(threshold)s.")
                % {"score": technical, "threshold": rounded(threshold)},
            )
            review.save()
        else:
            review.technical_score = technical
            qualified.append(review)
    if qualified:
        lowest = min(review.bid.amount for review in qualified)
        for review in qualified:
            review.price_score = best_value_price_score(review.bid.amount, lowest)
            review.total_score = best_value_total(
                review.technical_score,
                review.price_score,
                quality_weight=Decimal(terms["quality_weight"]),
                price_weight=Decimal(terms["price_weight"]),
            )
    qualified.sort(
        key=lambda r: (-r.total_score, -r.technical_score, r.bid.amount, r.bid.received_at)
    )
    for rank, review in enumerate(qualified, start=1):
        review.rank = rank
        review.save()
    lot_audit(
        evaluation.lot,
        "committee.concluded",
        None,
        {"ranked": [events.review_payload(r) for r in qualified]},
        evaluation,
    )
    events.committee_changed(evaluation)
    _propose_next(evaluation, actor=None)
