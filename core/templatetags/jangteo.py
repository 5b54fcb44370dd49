"""Template filters for how the platform shows money and time to people."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from core.money import format_krw

register = template.Library()
SEOUL = ZoneInfo("Asia/Seoul")


@register.filter
def krw(amount) -> str:
    return format_krw(amount)


@register.filter
def kst(value: datetime | None) -> str:
    """A moment in Korea Standard Time, with the zone stated: `2026-11-22 14:00 KST`."""
    if value is None:
        return ""
    local = timezone.localtime(value, SEOUL)
    return f"{date_format(local, 'Y-m-d H:i')} KST"


@register.filter
def isoformat(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@register.filter
def attr(obj, name: str):
    """`obj|attr:"field"`: a field chosen by name (for rows built from a list of fields)."""
    return getattr(obj, name, None)


@register.filter
def brn(value: str) -> str:
    """A business registration number as people write it: 123-45-67890."""
    digits = "".join(c for c in str(value) if c.isdigit())
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else value
