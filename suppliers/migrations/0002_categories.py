"""The fields of business every installation starts with (operators may add more)."""

from django.db import migrations

CATEGORIES = [
    ("G-FURN", "가구", "Furniture", "goods"),
    ("G-OFFICE", "사무기기", "Office equipment", "goods"),
    ("G-ICT", "정보통신기기", "ICT equipment", "goods"),
    ("S-SW", "소프트웨어사업", "Software services", "services"),
    ("S-ENG", "엔지니어링", "Engineering services", "services"),
    ("S-FAC", "시설관리", "Facility management", "services"),
    ("W-CIVIL", "토목공사", "Civil works", "works"),
    ("W-BUILD", "건축공사", "Building works", "works"),
    ("W-ELEC", "전기공사", "Electrical works", "works"),
    ("W-LAND", "조경공사", "Landscaping works", "works"),
]


def create(apps, schema_editor):
    Category = apps.get_model("suppliers", "Category")
    for code, name, name_en, kind in CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                               "kind": kind})


def remove(apps, schema_editor):
    apps.get_model("suppliers", "Category").objects.filter(
        code__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
