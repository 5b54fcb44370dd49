"""Evaluation of a lot after its opening, the bids' reviews in their order, and awards."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from bidding.models import Bid
from core.state import ConcurrentTransitions
from procurement.models import Lot, Method


class Evaluation(models.Model):
    """One lot's evaluation, started by the platform when the opening completes: the method
    the tender's procedure names, and for a qualification review the estimated price with
    everything needed to recompute it (published)."""

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="evaluation")
    method = models.CharField(_("method"), max_length=30, choices=Method.choices)
    started_at = models.DateTimeField()
    # qualification review: {"prices", "pick_counts", "chosen", "estimated", "floor", ...}
    estimate = models.JSONField(_("estimated price"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation")

    def __str__(self) -> str:
        return f"{self.lot} ({self.method})"


class ReviewStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    PROPOSED = "proposed", _("Under review")
    OUT_OF_RANGE = "out_of_range", _("Outside the price range")
    FAILED = "failed", _("Below the pass mark")
    DISQUALIFIED = "disqualified", _("Disqualified")
    AWARDED = "awarded", _("Awarded")


class BidReview(ConcurrentTransitions, models.Model):
    """One opened bid in its lot's evaluation. Bids are reviewed in `rank` order, one at a
    time: the bid under review (`proposed`) is awarded, disqualified with a reason, or (in a
    qualification review) scored below the pass mark; then the next one is proposed."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reviews")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="review")
    rank = models.PositiveIntegerField(_("order of review"), null=True, blank=True)
    status = FSMField(
        _("status"), default=ReviewStatus.WAITING, choices=ReviewStatus.choices, protected=True
    )
    capability_score = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    technical_score = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    evidence = models.TextField(_("evidence for the capability score"), blank=True)
    price_score = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    total_score = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["evaluation", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"],
                condition=models.Q(status="proposed"),
                name="one_bid_under_review",
            )
        ]
        verbose_name = _("bid review")

    def __str__(self) -> str:
        return f"{self.evaluation.lot} #{self.rank} {self.status}"

    @transition(field=status, source=ReviewStatus.WAITING, target=ReviewStatus.PROPOSED)
    def propose(self):
        pass

    @transition(field=status, source=ReviewStatus.WAITING, target=ReviewStatus.OUT_OF_RANGE)
    def out_of_range(self, *, reason: str):
        self.reason = reason

    @transition(field=status, source=ReviewStatus.WAITING, target=ReviewStatus.FAILED)
    def technical_fail(self, *, technical, reason: str):
        """Best value: below the technical threshold, so never ranked."""
        self.technical_score, self.reason = technical, reason

    @transition(field=status, source=ReviewStatus.PROPOSED, target=ReviewStatus.DISQUALIFIED)
    def disqualify(self, *, actor, now, reason: str):
        self.decided_by, self.decided_at, self.reason = actor, now, reason

    @transition(field=status, source=ReviewStatus.PROPOSED, target=ReviewStatus.FAILED)
    def fail(self, *, actor, now, score):
        self.record_score(actor, now, score)

    @transition(field=status, source=ReviewStatus.PROPOSED, target=ReviewStatus.AWARDED)
    def award(self, *, actor, now, score=None):
        if score is not None:
            self.record_score(actor, now, score)
        self.decided_by, self.decided_at = actor, now

    @transition(field=status, source=ReviewStatus.AWARDED, target=ReviewStatus.PROPOSED)
    def reopen(self):
        """Its award was taken back: the bid is under review again."""

    def record_score(self, actor, now, score) -> None:
        """The scores it was decided on (a passing bid keeps them until it is awarded)."""
        self.capability_score, self.price_score = score.capability, score.price
        self.total_score = score.total
        self.decided_by, self.decided_at = actor, now


class AwardStatus(models.TextChoices):
    PENDING = "pending", _("In standstill")
    ACTIVE = "active", _("Final")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
    CANCELLED = "cancelled", _("Cancelled")


class Award(ConcurrentTransitions, models.Model):
    """The officer's signed decision to award a lot to a bid. It stays pending through the
    standstill, in which bidders of the lot may complain; it becomes final when the
    standstill ends with no complaint pending, or is cancelled when a complaint is upheld."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="awards")
    review = models.ForeignKey(BidReview, on_delete=models.PROTECT, related_name="awards")
    status = FSMField(
        _("status"), default=AwardStatus.PENDING, choices=AwardStatus.choices, protected=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("awarded"))
    statement = models.BinaryField(_("award statement (canonical JSON)"))
    signature = models.BinaryField(_("officer's signature (CMS, detached)"))
    signer = models.CharField(_("signing certificate (SHA-256)"), max_length=64)
    standstill_until = models.DateTimeField(_("standstill ends"))
    closed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["lot", "decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot"],
                condition=models.Q(status__in=["pending", "active"]),
                name="one_live_award_per_lot",
            )
        ]
        verbose_name = _("award")

    def __str__(self) -> str:
        return f"{self.lot} → {self.review.bid.supplier} ({self.status})"

    @transition(field=status, source=AwardStatus.PENDING, target=AwardStatus.ACTIVE)
    def finalise(self, *, now):
        self.closed_at = now

    @transition(field=status, source=AwardStatus.PENDING, target=AwardStatus.CANCELLED)
    def cancel(self, *, now, reason: str):
        self.closed_at, self.reason = now, reason


class ComplaintStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Under review")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A complaint in these states blocks the award from becoming final and the contract.
COMPLAINT_PENDING = [ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED]


class Complaint(ConcurrentTransitions, models.Model):
    """A bidder's complaint against an award, filed during its standstill. The platform's
    review body accepts it for review (or rejects it as inadmissible, which dismisses it)
    and decides it, with reasons; upheld, the award is cancelled and evaluation resumes."""

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="complaints")
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="complaints"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed"))
    text = models.TextField(_("grounds"))
    status = FSMField(
        _("status"),
        default=ComplaintStatus.SUBMITTED,
        choices=ComplaintStatus.choices,
        protected=True,
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("complaint")

    def __str__(self) -> str:
        return f"{self.award.lot}: {self.supplier} ({self.status})"

    @transition(field=status, source=ComplaintStatus.SUBMITTED, target=ComplaintStatus.ACCEPTED)
    def accept(self, *, reviewer, now):
        self.reviewer, self.accepted_at = reviewer, now

    @transition(field=status, source=ComplaintStatus.SUBMITTED, target=ComplaintStatus.DISMISSED)
    def reject(self, *, reviewer, now, reason: str):
        """Not admissible (out of time, not a bidder's, no grounds): dismissed unheard."""
        self.reviewer, self.decided_at, self.decision_reason = reviewer, now, reason

    @transition(field=status, source=ComplaintStatus.ACCEPTED, target=ComplaintStatus.UPHELD)
    def uphold(self, *, now, reason: str):
        self.decided_at, self.decision_reason = now, reason

    @transition(field=status, source=ComplaintStatus.ACCEPTED, target=ComplaintStatus.DISMISSED)
    def dismiss(self, *, now, reason: str):
        self.decided_at, self.decision_reason = now, reason

    @transition(field=status, source=COMPLAINT_PENDING, target=ComplaintStatus.WITHDRAWN)
    def withdraw(self, *, now):
        self.decided_at = now


class ComplaintDocument(models.Model):
    """A document filed with a complaint; seen by the complainant, the buyer and the
    review body, its hash by everyone."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=200)
    file = models.FileField(upload_to="complaints/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("complaint document")

    def __str__(self) -> str:
        return self.name


class CommitteeMember(models.Model):
    """A member of a best-value lot's evaluation committee. Before scoring, the member signs
    a declaration of no conflict of interest with the bidders; then scores every bid on
    every criterion alone and signs the score sheet. Nobody sees a member's scores until
    every member has submitted; they are published with the award."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointed_at = models.DateTimeField()
    declaration = models.BinaryField(_("declaration (canonical JSON)"), null=True)
    declaration_signature = models.BinaryField(null=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    scoresheet = models.BinaryField(_("score sheet (canonical JSON)"), null=True)
    scoresheet_signature = models.BinaryField(null=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["evaluation", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "member"], name="member_once")]
        verbose_name = _("committee member")

    def __str__(self) -> str:
        return f"{self.evaluation.lot}: {self.member}"


class TechnicalScore(models.Model):
    """One member's score of one bid on one criterion, from their signed score sheet."""

    member = models.ForeignKey(CommitteeMember, on_delete=models.CASCADE, related_name="scores")
    review = models.ForeignKey(BidReview, on_delete=models.CASCADE, related_name="scores")
    criterion = models.CharField(max_length=40)
    score = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "review", "criterion"], name="score_once")
        ]
        verbose_name = _("technical score")

    def __str__(self) -> str:
        return f"{self.member} {self.criterion}={self.score}"
