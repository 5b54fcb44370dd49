"""Who may act for which organisation. Every service asks here; nothing else decides."""

from django.core.exceptions import PermissionDenied

from .models import Membership, Organisation, Role


def has_role(user, organisation: Organisation | int | None, *roles: Role) -> bool:
    if user is None or not user.is_authenticated or not user.is_active or organisation is None:
        return False
    org_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    return Membership.objects.filter(user=user, organisation_id=org_id, role__in=roles).exists()


def require_role(user, organisation: Organisation | int | None, *roles: Role) -> None:
    if not has_role(user, organisation, *roles):
        raise PermissionDenied("You do not hold the role this action needs for this organisation.")


def organisations_where(user, *roles: Role):
    """The organisations in which `user` holds any of `roles`."""
    if user is None or not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role__in=roles
    ).distinct()


def is_operator(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and Membership.objects.filter(user=user, role=Role.OPERATOR).exists()
    )
