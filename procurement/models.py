"""Tenders, their lots and items, procedure types, documents, questions and amendments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from accounts.models import Organisation, Role
from accounts.permissions import has_role
from core.state import ConcurrentTransitions
from suppliers.models import Category


class Method(models.TextChoices):
    LOWEST_PRICE = "lowest_price", _("Lowest price")
    QUALIFICATION_REVIEW = (
        "qualification_review",
        _("Qualification review with multiple reserve prices"),
    )
    BEST_VALUE = "best_value", _("Best value (price and quality)")


class ProcedureType(models.Model):
    """One kind of procurement procedure, as data: its method, periods and parameters.

    A tender copies these values when it is published (`Tender.procedure_terms`), so later
    edits of the type never change the rules of a tender already announced.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    method = models.CharField(_("evaluation method"), max_length=30, choices=Method.choices)
    notice_period_days = models.PositiveSmallIntegerField(
        _("minimum days from publication to the bid deadline"), default=7
    )
    amendment_period_days = models.PositiveSmallIntegerField(
        _("minimum days left before the bid deadline after an amendment"), default=5
    )
    min_bids = models.PositiveSmallIntegerField(_("minimum valid bids"), default=1)
    standstill_days = models.PositiveSmallIntegerField(_("standstill (working days)"), default=5)
    # Demonstrations only: a standstill this many minutes long instead of working days, so a
    # visitor sees an award become final; real procedure types leave it empty.
    standstill_minutes = models.PositiveSmallIntegerField(
        _("standstill in minutes (demonstration)"), null=True, blank=True
    )
    uses_reserve_prices = models.BooleanField(_("multiple reserve prices"), default=False)
    reserve_price_count = models.PositiveSmallIntegerField(_("reserve prices drawn"), default=15)
    reserve_price_range_pct = models.DecimalField(
        _("reserve price range (± %)"), max_digits=5, decimal_places=3, default=2
    )
    reserve_price_picks = models.PositiveSmallIntegerField(_("picks per bid"), default=2)
    reserve_price_chosen = models.PositiveSmallIntegerField(
        _("most-picked prices averaged"), default=4
    )
    floor_rate_pct = models.DecimalField(
        _("floor rate (%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Qualification review: the capability score the officer enters is out of
    # capability_score_max; the price score is at most price_score_max, never below
    # price_score_min (evaluation.scoring).
    capability_score_max = models.DecimalField(
        _("capability score out of"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    price_score_max = models.DecimalField(
        _("price score out of"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    price_score_min = models.DecimalField(
        _("lowest price score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Best value: the technical criteria the committee scores, [{"code", "name", "name_en",
    # "points"}] with points adding up to 100, and the share of those points a bid must
    # reach to be ranked at all.
    technical_criteria = models.JSONField(_("technical criteria"), default=list, blank=True)
    technical_threshold_pct = models.DecimalField(
        _("technical threshold (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    price_weight = models.DecimalField(
        _("price weight (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    quality_weight = models.DecimalField(
        _("quality weight (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure type")
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="best_value")
                | Q(price_weight__isnull=False, quality_weight__isnull=False),
                name="best_value_has_weights",
            ),
            models.CheckConstraint(
                condition=~Q(method="qualification_review")
                | Q(
                    uses_reserve_prices=True, floor_rate_pct__isnull=False, pass_mark__isnull=False
                ),
                name="qualification_review_has_terms",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def terms(self) -> dict:
        """The parameters a tender is bound by, as plain JSON."""

        def num(value):
            return None if value is None else str(value)

        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "method": self.method,
            "notice_period_days": self.notice_period_days,
            "amendment_period_days": self.amendment_period_days,
            "min_bids": self.min_bids,
            "standstill_days": self.standstill_days,
            "standstill_minutes": self.standstill_minutes,
            "uses_reserve_prices": self.uses_reserve_prices,
            "reserve_price_count": self.reserve_price_count,
            "reserve_price_range_pct": num(self.reserve_price_range_pct),
            "reserve_price_picks": self.reserve_price_picks,
            "reserve_price_chosen": self.reserve_price_chosen,
            "floor_rate_pct": num(self.floor_rate_pct),
            "pass_mark": num(self.pass_mark),
            "capability_score_max": num(self.capability_score_max),
            "price_score_max": num(self.price_score_max),
            "price_score_min": num(self.price_score_min),
            "technical_criteria": list(self.technical_criteria),
            "technical_threshold_pct": num(self.technical_threshold_pct),
            "price_weight": num(self.price_weight),
            "quality_weight": num(self.quality_weight),
        }


class TenderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTICE = "notice", _("Notice")
    BIDDING = "bidding", _("Bidding")
    OPENING = "opening", _("Opening")
    EVALUATION = "evaluation", _("Evaluation")
    AWARDED = "awarded", _("Awarded")
    CONTRACTING = "contracting", _("Contracting")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")


# From the end of the opening ceremony, who took part is public (the sealed log included).
SEALED_LOG_PUBLIC = [
    TenderStatus.EVALUATION,
    TenderStatus.AWARDED,
    TenderStatus.CONTRACTING,
    TenderStatus.IN_PROGRESS,
    TenderStatus.COMPLETED,
    TenderStatus.UNSUCCESSFUL,
]
CANCELLABLE = [
    TenderStatus.DRAFT,
    TenderStatus.NOTICE,
    TenderStatus.BIDDING,
    TenderStatus.OPENING,
    TenderStatus.EVALUATION,
    TenderStatus.AWARDED,
]


# The tender statuses a tender takes from its lots after the opening.
LOT_FOLLOWED = [
    TenderStatus.EVALUATION,
    TenderStatus.AWARDED,
    TenderStatus.CONTRACTING,
    TenderStatus.IN_PROGRESS,
    TenderStatus.COMPLETED,
]


def _is_buyer_officer(tender: "Tender", user) -> bool:
    return has_role(user, tender.buyer_id, Role.PROCUREMENT_OFFICER)


def _is_clock(tender: "Tender", user) -> bool:
    """Time-driven transitions are the platform's alone: no person may make them."""
    return user is None


class Tender(ConcurrentTransitions, models.Model):
    ocid = models.CharField(_("OCID"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    buyer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tenders", verbose_name=_("buyer")
    )
    procedure_type = models.ForeignKey(
        ProcedureType, on_delete=models.PROTECT, verbose_name=_("procedure type")
    )
    procedure_terms = models.JSONField(
        _("procedure terms at publication"), default=dict, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="KRW")
    categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="+",
        verbose_name=_("eligible categories"),
        help_text=_(
            "A supplier must hold a valid licence in one of these; none means any "
            "verified supplier may take part."
        ),
    )
    status = FSMField(
        _("status"),
        default=TenderStatus.DRAFT,
        choices=TenderStatus.choices,
        protected=True,
        db_index=True,
    )
    questions_close_at = models.DateTimeField(_("questions close"), null=True, blank=True)
    registration_close_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    bid_open_at = models.DateTimeField(_("bidding opens"), null=True, blank=True)
    bid_close_at = models.DateTimeField(_("bidding closes"), null=True, blank=True)
    opening_at = models.DateTimeField(_("opening"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    amendment_count = models.PositiveIntegerField(_("amendments"), default=0)
    opening_officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="tenders_to_open",
        verbose_name=_("opening officers"),
        help_text=_("Each receives one share of the opening key; bids open only with enough."),
    )
    opening_threshold = models.PositiveSmallIntegerField(
        _("shares needed to open"),
        default=1,
        help_text=_("How many of the opening officers must enter their share to open the bids."),
    )
    # What the notice publishes about the sealing, set once at publication: the opening
    # public key every bid is sealed to and, per lot, the commitment to its reserve prices.
    sealing = models.JSONField(_("sealing terms"), default=dict, blank=True)
    # A re-tender of an unsuccessful lot names it, so the two are linked in public.
    retender_of = models.ForeignKey(
        "Lot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retenders",
        verbose_name=_("re-tender of"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("tender")
        indexes = [
            # what the clock polls for
            models.Index(fields=["status", "bid_open_at"], name="tender_due_open"),
            models.Index(fields=["status", "bid_close_at"], name="tender_due_close"),
        ]

    def __str__(self) -> str:
        return f"{self.ocid} {self.title}"

    @property
    def terms(self) -> dict:
        return self.procedure_terms or self.procedure_type.terms()

    @property
    def is_public(self) -> bool:
        """Published once, public for good (a draft cancelled unpublished never is)."""
        return self.published_at is not None

    @property
    def notice_number(self) -> str:
        """The notice number people quote: the process number and its amendment count."""
        return f"{self.ocid.rsplit('-', 1)[-1]}-{self.amendment_count:02d}"

    # Transitions only check conditions and set fields; services do I/O and saving.
    @transition(
        field=status,
        source=TenderStatus.DRAFT,
        target=TenderStatus.NOTICE,
        permission=_is_buyer_officer,
    )
    def publish(self, *, now, terms: dict):
        self.published_at = now
        self.procedure_terms = terms

    @property
    def opening_public_key(self) -> str:
        """The X25519 public key (hex) bids are sealed to; empty before publication."""
        return self.sealing.get("opening_public_key", "")

    @transition(
        field=status, source=TenderStatus.NOTICE, target=TenderStatus.BIDDING, permission=_is_clock
    )
    def open_bidding(self):
        pass

    @transition(
        field=status, source=TenderStatus.BIDDING, target=TenderStatus.OPENING, permission=_is_clock
    )
    def close_bidding(self):
        pass

    @transition(
        field=status,
        source=TenderStatus.OPENING,
        target=TenderStatus.EVALUATION,
        permission=_is_clock,
    )
    def opening_complete(self):
        """Every envelope is opened or rejected and the results are public."""

    @transition(
        field=status,
        source=[
            TenderStatus.EVALUATION,
            TenderStatus.AWARDED,
            TenderStatus.CONTRACTING,
            TenderStatus.IN_PROGRESS,
        ],
        target=RETURN_VALUE(*[*LOT_FOLLOWED, TenderStatus.UNSUCCESSFUL]),
        permission=_is_clock,
    )
    def follow_lots(self, status: str) -> str:
        """After the opening the tender is where its lots are (see LOT_PROGRESS)."""
        return status

    @transition(
        field=status,
        source=CANCELLABLE,
        target=TenderStatus.CANCELLED,
        permission=_is_buyer_officer,
    )
    def cancel(self, *, now, reason: str):
        self.cancelled_at = now
        self.cancel_reason = reason


class LotStatus(models.TextChoices):
    PENDING = "pending", _("Before the opening")
    EVALUATION = "evaluation", _("Evaluation")
    AWARDED = "awarded", _("Awarded")
    CONTRACTING = "contracting", _("Contracting")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
    CANCELLED = "cancelled", _("Cancelled")


# A tender after its opening is as far on as its least advanced lot that is still alive;
# with none alive it is unsuccessful (or cancelled, when it was cancelled).
LOT_PROGRESS = [
    LotStatus.EVALUATION,
    LotStatus.AWARDED,
    LotStatus.CONTRACTING,
    LotStatus.IN_PROGRESS,
    LotStatus.COMPLETED,
]


def _is_lot_officer(lot: "Lot", user) -> bool:
    return has_role(user, lot.tender.buyer_id, Role.PROCUREMENT_OFFICER)


def _is_platform(lot: "Lot", user) -> bool:
    """Consequences the platform draws itself (the clock, a review body's decision)."""
    return user is None


class Lot(ConcurrentTransitions, models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveSmallIntegerField(_("lot number"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    base_amount = models.PositiveBigIntegerField(_("base amount (KRW)"))
    # After the opening each lot moves on its own; the tender's status follows its lots.
    status = FSMField(
        _("status"), default=LotStatus.PENDING, choices=LotStatus.choices, protected=True
    )
    status_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["tender", "number"]
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="lot_number")]
        verbose_name = _("lot")

    def __str__(self) -> str:
        return f"{self.tender.ocid} lot {self.number}"

    @transition(
        field=status, source=LotStatus.PENDING, target=LotStatus.EVALUATION, permission=_is_platform
    )
    def evaluation_start(self):
        """The opening is complete: the lot's bids are public and can be evaluated."""

    @transition(
        field=status,
        source=LotStatus.EVALUATION,
        target=LotStatus.AWARDED,
        permission=_is_lot_officer,
    )
    def award(self):
        self.status_reason = ""

    @transition(
        field=status, source=LotStatus.AWARDED, target=LotStatus.EVALUATION, permission=_is_platform
    )
    def award_cancel(self, *, reason: str):
        self.status_reason = reason

    @transition(
        field=status,
        source=LotStatus.AWARDED,
        target=LotStatus.CONTRACTING,
        permission=_is_platform,
    )
    def contracting_start(self):
        """The standstill ended with no complaint pending or upheld."""

    @transition(
        field=status,
        source=LotStatus.EVALUATION,
        target=LotStatus.UNSUCCESSFUL,
        permission=lambda lot, user: _is_platform(lot, user) or _is_lot_officer(lot, user),
    )
    def fail(self, *, reason: str):
        self.status_reason = reason

    @transition(
        field=status,
        source=[LotStatus.PENDING, LotStatus.EVALUATION, LotStatus.AWARDED],
        target=LotStatus.CANCELLED,
        permission=_is_platform,
    )
    def cancel(self, *, reason: str):
        self.status_reason = reason


class ClassificationScheme(models.TextChoices):
    CPV = "CPV", "CPV"
    UNSPSC = "UNSPSC", "UNSPSC"


class Item(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(_("description"), max_length=300)
    classification_scheme = models.CharField(
        _("classification scheme"), max_length=10, choices=ClassificationScheme.choices
    )
    classification_code = models.CharField(_("classification code"), max_length=20)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=30)

    class Meta:
        ordering = ["lot", "id"]
        verbose_name = _("item")

    def __str__(self) -> str:
        return self.description


def document_path(instance: "TenderDocument", filename: str) -> str:
    return f"tenders/{instance.tender.ocid}/{instance.sha256[:16]}-{filename}"


class TenderDocument(models.Model):
    """One version of a tender document. Versions are never replaced: a new upload with the
    same title becomes the next version, and the notice shows the latest."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    file = models.FileField(_("file"), upload_to=document_path)
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "title", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "title", "version"], name="document_version")
        ]
        verbose_name = _("tender document")

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Question(models.Model):
    """A supplier's question and the buyer's answer. Both are public; who asked is not."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("question"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_for = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "asked_at", "id"]
        verbose_name = _("question")

    def __str__(self) -> str:
        return self.text[:60]


class Amendment(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveIntegerField()
    reason = models.TextField(_("reason"))
    changes = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="amendment_number")
        ]
        verbose_name = _("amendment")

    def __str__(self) -> str:
        return f"{self.tender.ocid} amendment {self.number}"
