from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Operators read the audit log here; nobody changes it."""

    list_display = (
        "stream",
        "position",
        "occurred_at",
        "kind",
        "actor_label",
        "object_type",
        "object_id",
    )
    list_filter = ("kind",)
    search_fields = ("stream", "kind", "actor_label", "object_id")
    ordering = ("-occurred_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
