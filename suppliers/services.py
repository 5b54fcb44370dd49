"""Supplier use cases: registration, people, verification, debarment.

Every step is written to the platform audit stream in its own transaction.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from accounts.permissions import require_role
from core import clock
from core.audit import PLATFORM_STREAM, audit_record
from esign.models import RevocationReason
from esign.services import certificates_revoke_for

from .brn import brn_normalize, validate_brn
from .exceptions import AlreadyRegistered, SupplierError
from .models import Category, Licence, Supplier, SupplierStatus


@dataclass(frozen=True)
class LicenceClaim:
    category: Category
    number: str = ""
    valid_until: date | None = None


@dataclass(frozen=True)
class NewPerson:
    username: str
    display_name: str
    email: str
    password: str


PROFILE_FIELDS = (
    "representative",
    "address",
    "phone",
    "email",
    "bank_name",
    "bank_account",
    "bank_holder",
)


def _audit(supplier: Supplier, kind: str, actor, data: dict | None = None) -> None:
    audit_record(
        stream=PLATFORM_STREAM,
        kind=kind,
        actor=actor,
        obj=supplier,
        data={"brn": supplier.organisation.code, **(data or {})},
    )


def _person_create(person: NewPerson) -> User:
    if User.objects.filter(username__iexact=person.username).exists():
        raise SupplierError(
            _("The user name “%(name)s” is taken.") % {"name": person.username},
            code="username_taken",
        )
    user = User(username=person.username, display_name=person.display_name, email=person.email)
    try:
        validate_password(person.password, user)
    except ValidationError as error:
        raise SupplierError(error.messages, code="password") from error
    user.set_password(person.password)
    user.save()
    return user


def supplier_register(
    *,
    name: str,
    brn: str,
    profile: dict,
    licences: list[LicenceClaim],
    admin: NewPerson | None = None,
    actor: User | None = None,
    name_en: str = "",
) -> Supplier:
    """Register a company once. Its administrator is `actor` (a signed-in person) or a new
    account made from `admin`. The company waits for a platform operator's verification."""
    validate_brn(brn)
    brn = brn_normalize(brn)
    if (admin is None) == (actor is None or not actor.is_authenticated):
        raise TypeError("give either a new administrator or a signed-in actor")
    missing = [field for field in PROFILE_FIELDS if not str(profile.get(field, "")).strip()]
    if missing or set(profile) - set(PROFILE_FIELDS):
        raise SupplierError(_("Fill in every field of the company profile."), code="profile")
    if not licences:
        raise SupplierError(
            _("Name at least one category the company is licensed for."), code="no_licences"
        )
    with transaction.atomic():
        if Organisation.objects.filter(code=brn).exists():
            raise AlreadyRegistered(
                _(
                    "A company with this business registration number is "
                    "already registered. Ask its administrator to add you."
                ),
                code="registered",
            )
        person = actor if admin is None else _person_create(admin)
        try:
            with transaction.atomic():
                organisation = Organisation.objects.create(
                    kind=OrganisationKind.COMPANY, name=name.strip(), name_en=name_en, code=brn
                )
        except IntegrityError as error:  # a concurrent registration of the same number
            raise AlreadyRegistered(
                _("A company with this business registration number is already registered."),
                code="registered",
            ) from error
        supplier = Supplier.objects.create(
            organisation=organisation, registered_at=clock.now(), **profile
        )
        for claim in licences:
            Licence.objects.create(
                supplier=supplier,
                category=claim.category,
                number=claim.number,
                valid_until=claim.valid_until,
            )
        for role in (Role.SUPPLIER_ADMIN, Role.BIDDER):
            Membership.objects.create(user=person, organisation=organisation, role=role)
        _audit(
            supplier,
            "supplier.registered",
            person,
            {
                "name": organisation.name,
                "administrator": person.get_username(),
                "categories": [c.category.code for c in licences],
            },
        )
    return supplier


def supplier_person_add(
    *, supplier: Supplier, actor: User, person: NewPerson, roles: list[Role]
) -> User:
    """The company's administrator adds a person (a bidder, another administrator)."""
    require_role(actor, supplier.organisation, Role.SUPPLIER_ADMIN)
    if not roles or set(roles) - {Role.SUPPLIER_ADMIN, Role.BIDDER}:
        raise SupplierError(_("Choose the person's roles in the company."), code="roles")
    with transaction.atomic():
        user = _person_create(person)
        for role in roles:
            Membership.objects.create(user=user, organisation=supplier.organisation, role=role)
        _audit(
            supplier,
            "supplier.person_added",
            actor,
            {"person": user.get_username(), "roles": sorted(roles)},
        )
    return user


def supplier_person_remove(*, supplier: Supplier, actor: User, person: User) -> int:
    """Someone left the company: their roles in it end and every signing certificate they
    hold for it is revoked (affiliation changed), so they can no longer sign in its name.
    Returns how many certificates were revoked. A company keeps at least one administrator.
    """
    organisation = supplier.organisation
    require_role(actor, organisation, Role.SUPPLIER_ADMIN)
    with transaction.atomic():
        supplier = _locked(supplier)
        memberships = Membership.objects.filter(user=person, organisation=organisation)
        if not memberships.exists():
            raise SupplierError(_("This person is not in the company."), code="not_member")
        admins_left = (
            Membership.objects.filter(organisation=organisation, role=Role.SUPPLIER_ADMIN)
            .exclude(user=person)
            .count()
        )
        if admins_left == 0:
            raise SupplierError(
                _("The company must keep at least one administrator."), code="last_admin"
            )
        roles = sorted(memberships.values_list("role", flat=True))
        memberships.delete()
        revoked = certificates_revoke_for(
            holder=person,
            organisation=organisation,
            actor=actor,
            reason=RevocationReason.AFFILIATION_CHANGED,
        )
        _audit(
            supplier,
            "supplier.person_removed",
            actor,
            {"person": person.get_username(), "roles": roles, "certificates_revoked": revoked},
        )
    return revoked


def _locked(supplier: Supplier) -> Supplier:
    return Supplier.objects.select_for_update().select_related("organisation").get(pk=supplier.pk)


def _transition(
    supplier: Supplier, actor, name: str, kind: str, data: dict | None = None, **kwargs
) -> Supplier:
    with transaction.atomic():
        supplier = _locked(supplier)
        method = getattr(supplier, name)
        if not can_proceed(method):
            raise SupplierError(
                _("A supplier in status “%(status)s” cannot be changed so.")
                % {"status": supplier.get_status_display()},
                code="state",
            )
        if not has_transition_perm(method, actor):
            raise PermissionDenied(_("Only a platform operator may decide this."))
        method(**kwargs)
        supplier.save()
        _audit(supplier, kind, actor, data)
    return supplier


def supplier_verify(*, supplier: Supplier, actor: User) -> Supplier:
    return _transition(
        supplier, actor, "verify", "supplier.verified", now=clock.now(), operator=actor
    )


def supplier_reject(*, supplier: Supplier, actor: User, reason: str) -> Supplier:
    if not reason.strip():
        raise SupplierError(_("Give the company the reason for the rejection."), code="reason")
    return _transition(
        supplier,
        actor,
        "reject",
        "supplier.rejected",
        {"reason": reason},
        now=clock.now(),
        operator=actor,
        reason=reason.strip(),
    )


def supplier_close(*, supplier: Supplier, actor: User, reason: str) -> Supplier:
    """Close a rejected registration and release its business number, so the company the
    number belongs to can register. The record and its audit trail stay; only the
    organisation's code changes (to `closed-<id>`), under the same row lock."""
    if not reason.strip():
        raise SupplierError(_("Give the reason for closing the registration."), code="reason")
    with transaction.atomic():
        supplier = _transition(
            supplier,
            actor,
            "close",
            "supplier.closed",
            {"reason": reason.strip()},
            now=clock.now(),
            operator=actor,
            reason=reason.strip(),
        )
        organisation = supplier.organisation
        organisation.code = f"closed-{organisation.pk}"
        organisation.save(update_fields=["code"])
    return supplier


DECISIONS = ("verify", "reject", "suspend", "reinstate", "close")


def supplier_decide(
    *, supplier: Supplier, actor: User, decision: str, reason: str = "", until=None
) -> Supplier:
    """An operator's decision by name, as the review page and the API take it: verify,
    reject (reason), suspend (reason, optional end date), reinstate, or close a rejected
    registration (reason)."""
    if decision == "verify":
        return supplier_verify(supplier=supplier, actor=actor)
    if decision == "reinstate":
        return supplier_reinstate(supplier=supplier, actor=actor)
    if decision == "reject":
        return supplier_reject(supplier=supplier, actor=actor, reason=reason)
    if decision == "close":
        return supplier_close(supplier=supplier, actor=actor, reason=reason)
    if decision == "suspend":
        return supplier_suspend(supplier=supplier, actor=actor, reason=reason, until=until)
    raise SupplierError(_("Unknown decision."), code="decision")


def supplier_resubmit(*, supplier: Supplier, actor: User, profile: dict) -> Supplier:
    """After a rejection the company's administrator corrects the profile and asks again."""
    require_role(actor, supplier.organisation, Role.SUPPLIER_ADMIN)
    if set(profile) - set(PROFILE_FIELDS):
        raise TypeError("unknown profile fields")
    with transaction.atomic():
        supplier = _locked(supplier)
        if supplier.status != SupplierStatus.REJECTED:
            raise SupplierError(
                _("Only a rejected registration can be submitted again."), code="state"
            )
        for field, value in profile.items():
            setattr(supplier, field, value)
        supplier.resubmit()
        supplier.save()
        _audit(supplier, "supplier.resubmitted", actor, {"changed": sorted(profile)})
    return supplier


def supplier_suspend(
    *, supplier: Supplier, actor: User, reason: str, until: date | None
) -> Supplier:
    """Debar a verified company (with a reason and, usually, an end date)."""
    if not reason.strip():
        raise SupplierError(_("A suspension needs a reason."), code="reason")
    if until is not None and until < timezone.localdate(clock.now()):
        raise SupplierError(_("The end of the suspension is in the past."), code="until")
    return _transition(
        supplier,
        actor,
        "suspend",
        "supplier.suspended",
        {"reason": reason, "until": until.isoformat() if until else None},
        reason=reason.strip(),
        until=until,
    )


def supplier_reinstate(*, supplier: Supplier, actor: User | None) -> Supplier:
    return _transition(supplier, actor, "reinstate", "supplier.reinstated")


def supplier_debarments_lift() -> list[Supplier]:
    """Reinstate the companies whose suspension ended before today (run by the clock)."""
    today = timezone.localdate(clock.now())
    lifted = []
    for supplier in Supplier.objects.filter(
        status=SupplierStatus.SUSPENDED, suspended_until__lt=today
    ):
        lifted.append(supplier_reinstate(supplier=supplier, actor=None))
    return lifted
