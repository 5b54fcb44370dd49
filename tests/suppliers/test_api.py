"""Suppliers over the API: a company's own system registers it; operators review it; a
bidder registers the company for a tender."""

import pytest
from django.core.cache import cache

from accounts.tokens import api_token_create
from bidding.models import TenderRegistration
from suppliers.models import Category, Supplier, SupplierStatus
from tests.suppliers.test_views import COMPANY as FORM_COMPANY

pytestmark = pytest.mark.django_db

COMPANY = {**FORM_COMPANY, "licences": [{"category": "G-FURN", "number": "가구-2026-001"}]}
ADMIN = {
    "username": "nuri",
    "display_name": "임누리",
    "email": "nuri@example.kr",
    "password": "a-long-passphrase-2026",
}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def post(client, path, body, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(path, body, content_type="application/json", **headers)


def test_a_system_registers_a_company_with_its_first_administrator(client):
    response = post(client, "/api/v1/suppliers/", {**COMPANY, "administrator": ADMIN})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["brn"] == "1058700010"
    assert body["status"] == "pending"
    assert body["licences"][0]["category"] == "G-FURN"
    assert "password" not in response.content.decode()
    assert Supplier.objects.get().organisation.memberships.filter(user__username="nuri").exists()


def test_a_signed_in_person_registers_with_a_token(client, outsider):
    token = api_token_create(user=outsider, name="erp")[1]
    response = post(client, "/api/v1/suppliers/", COMPANY, token)
    assert response.status_code == 201
    # and sees the company and its status
    mine = client.get("/api/v1/suppliers/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [item["brn"] for item in mine] == ["1058700010"]
    detail = client.get("/api/v1/suppliers/105-87-00010/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert detail.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"brn": "105-87-00011"}, "brn"),
        ({"licences": []}, "licences"),
        ({"licences": [{"category": "NOPE"}]}, "licences"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_created(client, change, field):
    response = post(client, "/api/v1/suppliers/", {**COMPANY, **change, "administrator": ADMIN})
    assert response.status_code == 400
    assert field in response.json()
    assert not Supplier.objects.exists()


def test_an_administrator_is_needed_exactly_when_nobody_is_signed_in(client, outsider):
    assert post(client, "/api/v1/suppliers/", COMPANY).status_code == 400
    token = api_token_create(user=outsider, name="erp")[1]
    response = post(client, "/api/v1/suppliers/", {**COMPANY, "administrator": ADMIN}, token)
    assert response.status_code == 400
    assert response.json()["code"] == "administrator"
    assert not Supplier.objects.exists()


def test_a_number_registered_already_is_refused(client, supplier_a):
    response = post(
        client, "/api/v1/suppliers/", {**COMPANY, "brn": "1018163364", "administrator": ADMIN}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "registered"


def test_registrations_without_signing_in_are_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"supplier_registration": "2/hour"},
    }
    codes = [post(client, "/api/v1/suppliers/", {"name": "x"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_the_operator_reviews_over_the_api(client, operator):
    post(client, "/api/v1/suppliers/", {**COMPANY, "administrator": ADMIN})
    token = api_token_create(user=operator, name="ops")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    queue = client.get("/api/v1/suppliers/?status=pending", **auth).json()
    assert [item["brn"] for item in queue] == ["1058700010"]
    response = post(client, "/api/v1/suppliers/1058700010/decision/", {"decision": "reject"}, token)
    assert response.status_code == 400
    assert response.json()["code"] == "reason"
    response = post(client, "/api/v1/suppliers/1058700010/decision/", {"decision": "verify"}, token)
    assert response.status_code == 200
    assert Supplier.objects.get().status == SupplierStatus.VERIFIED


def test_only_operators_decide_and_only_members_look(client, supplier_a, bidder_a, bidder_b):
    token_b = api_token_create(user=bidder_b, name="b")[1]
    response = post(
        client, "/api/v1/suppliers/1018163364/decision/", {"decision": "suspend"}, token_b
    )
    assert response.status_code == 403
    detail = client.get("/api/v1/suppliers/1018163364/", HTTP_AUTHORIZATION=f"Bearer {token_b}")
    assert detail.status_code == 403
    token_a = api_token_create(user=bidder_a, name="a")[1]
    detail = client.get("/api/v1/suppliers/1018163364/", HTTP_AUTHORIZATION=f"Bearer {token_a}")
    assert detail.status_code == 200


class TestTenderRegistration:
    def test_a_bidder_registers_the_company_for_a_tender(
        self, client, published, supplier_a, bidder_a
    ):
        tender = published()
        tender.categories.add(Category.objects.get(code="G-FURN"))
        token = api_token_create(user=bidder_a, name="erp")[1]
        path = f"/api/v1/tenders/{tender.pk}/registrations/"
        response = post(client, path, {"supplier": "101-81-63364"}, token)
        assert response.status_code == 201, response.content
        assert response.json()["tender"] == tender.ocid
        again = post(client, path, {"supplier": "1018163364"}, token)
        assert again.status_code == 400
        assert again.json()["code"] == "refused"
        assert len(again.json()["reasons"]) == 1
        listed = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert [item["supplier"] for item in listed] == ["1018163364"]

    def test_nobody_sees_another_company_registered(
        self, client, published, supplier_a, bidder_a, bidder_b, supplier_b
    ):
        tender = published()
        token_a = api_token_create(user=bidder_a, name="a")[1]
        post(
            client,
            f"/api/v1/tenders/{tender.pk}/registrations/",
            {"supplier": "1018163364"},
            token_a,
        )
        token_b = api_token_create(user=bidder_b, name="b")[1]
        listed = client.get(
            f"/api/v1/tenders/{tender.pk}/registrations/", HTTP_AUTHORIZATION=f"Bearer {token_b}"
        ).json()
        assert listed == []
        assert client.get(f"/api/v1/tenders/{tender.pk}/registrations/").status_code in (401, 403)

    def test_a_company_one_does_not_act_for_is_refused(
        self, client, published, supplier_b, bidder_a
    ):
        tender = published()
        token = api_token_create(user=bidder_a, name="a")[1]
        response = post(
            client,
            f"/api/v1/tenders/{tender.pk}/registrations/",
            {"supplier": supplier_b.organisation.code},
            token,
        )
        assert response.status_code == 400
        assert response.json()["code"] == "supplier"
        assert not TenderRegistration.objects.exists()
