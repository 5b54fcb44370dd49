from django.contrib import admin

from .models import Certificate


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
