"""The procedure types every installation starts with (editable by operators later)."""

from decimal import Decimal

from django.db import migrations

TYPES = [
    {
        "code": "lowest-price", "name": "최저가 낙찰제", "name_en": "Lowest price",
        "method": "lowest_price", "notice_period_days": 7, "amendment_period_days": 5,
        "min_bids": 1, "standstill_days": 5,
        "description": "The lowest valid bid whose supplier qualifies wins.",
    },
    {
        "code": "qualification-review", "name": "적격심사 (복수예비가격)",
        "name_en": "Qualification review with multiple reserve prices",
        "method": "qualification_review", "notice_period_days": 7,
        "amendment_period_days": 5, "min_bids": 2, "standstill_days": 5,
        "uses_reserve_prices": True, "reserve_price_count": 15,
        "reserve_price_range_pct": Decimal("2.000"), "reserve_price_picks": 2,
        "reserve_price_chosen": 4, "floor_rate_pct": Decimal("87.745"),
        "pass_mark": Decimal("85.00"),
        "description": "15 reserve prices within ±2 % of the base amount; each bid picks 2; "
                       "the 4 most picked are averaged into the estimated price. Bids between "
                       "the floor (87.745 %) and the estimated price are reviewed from the "
                       "lowest up; the first scoring at least the pass mark wins.",
    },
    {
        "code": "best-value", "name": "협상에 의한 계약 (종합평가)",
        "name_en": "Best value (price and quality)", "method": "best_value",
        "notice_period_days": 10, "amendment_period_days": 5, "min_bids": 1,
        "standstill_days": 5, "price_weight": Decimal("20.00"),
        "quality_weight": Decimal("80.00"),
        "description": "An evaluation committee scores technical quality; quality and price "
                       "scores combine 80:20; the highest total wins.",
    },
]


def create(apps, schema_editor):
    ProcedureType = apps.get_model("procurement", "ProcedureType")
    for values in TYPES:
        ProcedureType.objects.update_or_create(code=values["code"], defaults=values)


def remove(apps, schema_editor):
    apps.get_model("procurement", "ProcedureType").objects.filter(
        code__in=[t["code"] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("procurement", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
