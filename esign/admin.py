from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.admin import OrganisationAdmin, UserAdmin
from accounts.models import Membership, Organisation, User

from .models import Certificate, RevocationReason
from .services import certificates_revoke_for


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Operators look certificates up here; revocation goes through its use case."""

    list_display = ("serial", "holder", "organisation", "status", "not_after")
    list_filter = ("status", "issued_by_platform")
    search_fields = ("serial", "fingerprint", "subject", "holder__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RevokeOnDepartureMixin:
    """The operator console may close an account or end someone's last role in an
    organisation; from that moment the person must not sign for it. Certificates are
    revoked in the same transaction as the change (the console saves in one).

    This lives in `esign` and wraps the `accounts` admin because `accounts` sits above the
    PKI in the layers and cannot call its services.
    """

    def _pairs(self, obj) -> set[tuple[int, int]]:
        owner = Q(user=obj) if isinstance(obj, User) else Q(organisation=obj)
        return set(Membership.objects.filter(owner).values_list("user_id", "organisation_id"))

    def save_model(self, request, obj, form, change):
        form.memberships_before = self._pairs(obj) if change else set()
        form.closed = (
            change and isinstance(obj, User) and "is_active" in form.changed_data
        ) and not obj.is_active
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        try:
            if getattr(form, "closed", False):
                certificates_revoke_for(
                    holder=form.instance,
                    actor=request.user,
                    reason=RevocationReason.PRIVILEGE_WITHDRAWN,
                )
            for user_id, organisation_id in form.memberships_before - self._pairs(form.instance):
                certificates_revoke_for(
                    holder=User.objects.get(pk=user_id),
                    organisation=Organisation.objects.get(pk=organisation_id),
                    actor=request.user,
                    reason=RevocationReason.AFFILIATION_CHANGED,
                )
        except PermissionDenied as error:
            # The whole save rolls back: a person who may not revoke may not make a change
            # that would leave a departed person able to sign.
            raise PermissionDenied(
                "Only a platform operator may close accounts or end memberships of people "
                "who hold signing certificates."
            ) from error


class PersonAdmin(RevokeOnDepartureMixin, UserAdmin):
    pass


class OrganisationWithPeopleAdmin(RevokeOnDepartureMixin, OrganisationAdmin):
    pass


admin.site.unregister(User)
admin.site.register(User, PersonAdmin)
admin.site.unregister(Organisation)
admin.site.register(Organisation, OrganisationWithPeopleAdmin)
