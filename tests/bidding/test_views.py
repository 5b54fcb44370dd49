import pytest

from bidding.models import TenderRegistration
from suppliers.models import Category

pytestmark = pytest.mark.django_db


def test_a_bidder_registers_from_the_participation_page(client, published, supplier_a, bidder_a):
    tender = published()
    client.force_login(bidder_a)
    page = client.get(f"/tenders/{tender.pk}/participate/").content.decode()
    assert supplier_a.organisation.name in page
    response = client.post(f"/tenders/{tender.pk}/participate/", {"supplier": supplier_a.pk})
    assert response.status_code == 302
    assert TenderRegistration.objects.filter(tender=tender, supplier=supplier_a).exists()


def test_a_refusal_says_why(client, published, supplier_a, bidder_a):
    tender = published()
    tender.categories.add(Category.objects.get(code="W-CIVIL"))
    client.force_login(bidder_a)
    page = client.get(f"/tenders/{tender.pk}/participate/").content.decode()
    assert "licence" in page or "면허" in page
    response = client.post(f"/tenders/{tender.pk}/participate/", {"supplier": supplier_a.pk})
    assert response.status_code == 400
    assert not TenderRegistration.objects.exists()


def test_a_bidder_cannot_register_another_company(client, published, supplier_b, bidder_a):
    tender = published()
    client.force_login(bidder_a)
    response = client.post(f"/tenders/{tender.pk}/participate/", {"supplier": supplier_b.pk})
    assert response.status_code == 400
    assert not TenderRegistration.objects.exists()


def test_the_tender_page_offers_suppliers_to_take_part(client, published, bidder_a, supplier_a):
    tender = published()
    client.force_login(bidder_a)
    assert (
        f"/tenders/{tender.pk}/participate/"
        in client.get(f"/tenders/{tender.pk}/").content.decode()
    )


def test_a_non_numeric_company_is_a_400_not_a_crash(client, published, bidder_a, supplier_a):
    tender = published()
    client.force_login(bidder_a)
    response = client.post(f"/tenders/{tender.pk}/participate/", {"supplier": "abc"})
    assert response.status_code == 400
