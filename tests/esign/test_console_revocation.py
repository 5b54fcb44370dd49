"""Closing an account or ending someone's last role in the operator console revokes their
certificates in the same save."""

import pytest

from accounts.models import Membership, Role
from esign.models import CertificateStatus
from tests.conftest import _person

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, operator):
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    return client


def _memberships_formset(memberships, delete=lambda membership: False) -> dict:
    """The console's inline formset of memberships, as the browser posts it."""
    form = {
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, membership in enumerate(memberships):
        form |= {
            f"memberships-{index}-id": str(membership.pk),
            f"memberships-{index}-user": str(membership.user_id),
            f"memberships-{index}-organisation": str(membership.organisation_id),
            f"memberships-{index}-role": membership.role,
        }
        if delete(membership):
            form[f"memberships-{index}-DELETE"] = "on"
    return form


def _user_form(user, **changes):
    form = {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **_memberships_formset(list(Membership.objects.filter(user=user).order_by("pk"))),
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value != ""}


def test_closing_an_account_revokes_its_certificates(console, issued, bidder_a):
    _key, record, _certificate = issued
    response = console.post(
        f"/operator/accounts/user/{bidder_a.pk}/change/", _user_form(bidder_a, is_active="")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED
    assert record.revocation_reason == "privilege_withdrawn"


def test_deleting_the_last_membership_revokes_for_that_organisation(console, issued, bidder_a):
    _key, record, _certificate = issued
    form = _user_form(bidder_a)
    for index in range(Membership.objects.filter(user=bidder_a).count()):
        form[f"memberships-{index}-DELETE"] = "on"
    response = console.post(f"/operator/accounts/user/{bidder_a.pk}/change/", form)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED
    assert record.revocation_reason == "affiliation_changed"


def test_dropping_one_of_two_roles_keeps_the_certificate(console, issued, bidder_a, company_a):
    _key, record, _certificate = issued
    Membership.objects.create(user=bidder_a, organisation=company_a, role=Role.SUPPLIER_ADMIN)
    form = _user_form(bidder_a)
    roles = list(Membership.objects.filter(user=bidder_a).order_by("pk"))
    assert len(roles) == 2
    form["memberships-0-DELETE"] = "on"
    assert console.post(f"/operator/accounts/user/{bidder_a.pk}/change/", form).status_code == 302
    record.refresh_from_db()
    assert record.status == CertificateStatus.ACTIVE


def test_a_staff_member_who_is_not_an_operator_cannot_close_a_signer(client, issued, bidder_a):
    _key, record, _certificate = issued
    clerk = _person("clerk", None)
    clerk.is_staff = clerk.is_superuser = True
    clerk.save()
    client.force_login(clerk)
    response = client.post(
        f"/operator/accounts/user/{bidder_a.pk}/change/", _user_form(bidder_a, is_active="")
    )
    assert response.status_code == 403
    bidder_a.refresh_from_db()
    record.refresh_from_db()
    assert bidder_a.is_active
    assert record.status == CertificateStatus.ACTIVE


def test_ending_a_role_from_the_organisation_page_revokes(console, issued, company_a, bidder_a):
    _key, record, _certificate = issued
    memberships = list(Membership.objects.filter(organisation=company_a).order_by("pk"))
    form = {
        "kind": company_a.kind,
        "name": company_a.name,
        "code": company_a.code,
        **_memberships_formset(memberships, delete=lambda m: m.user_id == bidder_a.pk),
    }
    response = console.post(f"/operator/accounts/organisation/{company_a.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    record.refresh_from_db()
    assert record.status == CertificateStatus.REVOKED
    assert Role.BIDDER not in Membership.objects.filter(user=bidder_a).values_list(
        "role", flat=True
    )


def test_staff_may_close_an_account_that_holds_no_certificate(client, bidder_b):
    clerk = _person("clerk", None)
    clerk.is_staff = clerk.is_superuser = True
    clerk.save()
    client.force_login(clerk)
    response = client.post(
        f"/operator/accounts/user/{bidder_b.pk}/change/", _user_form(bidder_b, is_active="")
    )
    assert response.status_code == 302
    bidder_b.refresh_from_db()
    assert not bidder_b.is_active
