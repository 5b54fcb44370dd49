from django.contrib import admin

from .models import ProcedureType, Tender


@admin.register(ProcedureType)
class ProcedureTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "method", "notice_period_days", "min_bids", "standstill_days")


@admin.register(Tender)
class TenderAdmin(admin.ModelAdmin):
    """Read-only for operators: tenders change only through their use cases."""

    list_display = ("ocid", "title", "buyer", "status", "bid_close_at")
    list_filter = ("status", "procedure_type")
    search_fields = ("ocid", "title")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
