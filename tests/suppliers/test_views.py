"""Supplier pages: registering in the browser, the profile and people, the operator's review."""

import pytest

from accounts.models import Membership, Role
from suppliers.models import Supplier, SupplierStatus

pytestmark = pytest.mark.django_db

COMPANY = {
    "name": "누리가구",
    "name_en": "Nuri Furniture",
    "brn": "105-87-00010",
    "representative": "임누리",
    "address": "대전광역시 서구 청사로 189",
    "phone": "042-000-0000",
    "email": "bid@nuri.example",
    "bank_name": "기업은행",
    "bank_account": "123-456789-01-011",
    "bank_holder": "누리가구",
}


def admin_fields(**overrides):
    return {
        "admin-username": "nuri",
        "admin-display_name": "임누리",
        "admin-admin_email": "nuri@example.kr",
        "admin-password": "a-long-passphrase-2026",
        "admin-password_again": "a-long-passphrase-2026",
        **overrides,
    }


def furniture_id():
    from suppliers.models import Category

    return Category.objects.get(code="G-FURN").pk


def test_a_visitor_registers_a_company_and_is_signed_in(client):
    response = client.post(
        "/suppliers/register/", {**COMPANY, "categories": [furniture_id()], **admin_fields()}
    )
    supplier = Supplier.objects.get(organisation__code="1058700010")
    assert response.status_code == 302
    assert response["Location"] == f"/suppliers/{supplier.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "105-87-00010" in page
    assert supplier.status == SupplierStatus.PENDING


def test_a_wrong_check_digit_is_explained_and_nothing_is_created(client):
    response = client.post(
        "/suppliers/register/",
        {**COMPANY, "brn": "105-87-00011", "categories": [furniture_id()], **admin_fields()},
    )
    assert response.status_code == 400
    assert "check digit" in response.content.decode() or "검증" in response.content.decode()
    assert not Supplier.objects.exists()


def test_mismatched_passwords_are_refused(client):
    response = client.post(
        "/suppliers/register/",
        {
            **COMPANY,
            "categories": [furniture_id()],
            **admin_fields(**{"admin-password_again": "something-else-2026"}),
        },
    )
    assert response.status_code == 400
    assert not Supplier.objects.exists()


def test_the_operator_reviews_and_verifies(client, operator):
    client.post(
        "/suppliers/register/", {**COMPANY, "categories": [furniture_id()], **admin_fields()}
    )
    supplier = Supplier.objects.get()
    client.force_login(operator)
    queue = client.get("/platform/suppliers/").content.decode()
    assert "누리가구" in queue
    assert client.post(f"/platform/suppliers/{supplier.pk}/verify/").status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.VERIFIED
    response = client.post(f"/platform/suppliers/{supplier.pk}/suspend/", {"reason": ""})
    assert response.status_code == 400
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.VERIFIED


def test_the_operator_closes_a_rejected_registration_from_its_page(client, operator):
    client.post(
        "/suppliers/register/", {**COMPANY, "categories": [furniture_id()], **admin_fields()}
    )
    supplier = Supplier.objects.get()
    client.force_login(operator)
    client.post(f"/platform/suppliers/{supplier.pk}/reject/", {"reason": "타인의 번호"})
    page = client.get(f"/suppliers/{supplier.pk}/").content.decode()
    assert f"/platform/suppliers/{supplier.pk}/close/" in page
    response = client.post(f"/platform/suppliers/{supplier.pk}/close/", {"reason": "타인의 번호"})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.CLOSED
    assert "status supplier-closed" in client.get(f"/suppliers/{supplier.pk}/").content.decode()


def test_only_operators_review(client, bidder_a, supplier_b):
    client.force_login(bidder_a)
    assert client.get("/platform/suppliers/").status_code == 403
    assert client.post(f"/platform/suppliers/{supplier_b.pk}/verify/").status_code == 403


def test_a_company_profile_is_private_to_its_people_and_operators(
    client, supplier_a, bidder_a, bidder_b, operator
):
    url = f"/suppliers/{supplier_a.pk}/"
    client.force_login(bidder_b)
    assert client.get(url).status_code == 403
    client.force_login(bidder_a)
    assert client.get(url).status_code == 200
    client.force_login(operator)
    assert client.get(url).status_code == 200


def test_the_administrator_adds_a_bidder(client, supplier_b, bidder_b):
    client.force_login(bidder_b)
    response = client.post(
        f"/suppliers/{supplier_b.pk}/people/",
        {
            "username": "clerk",
            "display_name": "박입찰",
            "email": "clerk@example.kr",
            "password": "another-long-pass-2026",
            "roles": ["bidder"],
        },
    )
    assert response.status_code == 302
    assert Membership.objects.filter(
        user__username="clerk", role=Role.BIDDER, organisation=supplier_b.organisation
    ).exists()
