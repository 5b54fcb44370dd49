from django.contrib import admin

from .models import Category, Licence, Supplier


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "kind")
    list_filter = ("kind",)


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    """Operators see suppliers here; decisions go through the verification pages."""

    list_display = ("organisation", "status", "representative", "registered_at")
    list_filter = ("status",)
    search_fields = ("organisation__name", "organisation__code")
    readonly_fields = ("status",)
    inlines = [LicenceInline]
