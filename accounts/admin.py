from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Jangteo", {"fields": ("display_name",)}))
    inlines = [MembershipInline]
    list_display = ("username", "display_name", "email", "is_active", "is_staff")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "name_en", "code")
    inlines = [MembershipInline]
