from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Membership, Role
from core.audit import PLATFORM_STREAM, verify_stream
from core.models import AuditEvent
from suppliers import services
from suppliers.exceptions import AlreadyRegistered, SupplierError
from suppliers.models import Category, SupplierStatus
from suppliers.selectors import supplier_refusals
from suppliers.services import LicenceClaim, NewPerson

pytestmark = pytest.mark.django_db

PROFILE = {
    "representative": "오한빛",
    "address": "서울특별시 중구 세종대로 110",
    "phone": "02-1234-5678",
    "email": "bid@hanbit.example",
    "bank_name": "기업은행",
    "bank_account": "123-456789-01-011",
    "bank_holder": "한빛건설(주)",
}


@pytest.fixture
def furniture(db):
    return Category.objects.get(code="G-FURN")


@pytest.fixture
def register(furniture):
    def make(brn="1058700010", username="founder", **kwargs):
        return services.supplier_register(
            name="누리가구",
            brn=brn,
            profile=PROFILE,
            licences=[LicenceClaim(furniture, "가구-2026-001", None)],
            admin=NewPerson(username, "임누리", "nuri@example.kr", "a-long-passphrase-2026"),
            **kwargs,
        )

    return make


def kinds():
    return list(AuditEvent.objects.filter(stream=PLATFORM_STREAM).values_list("kind", flat=True))


class TestRegistration:
    def test_a_company_registers_once_and_waits_for_verification(self, register):
        supplier = register()
        assert supplier.status == SupplierStatus.PENDING
        assert supplier.organisation.code == "1058700010"
        admin = Membership.objects.get(
            organisation=supplier.organisation, role=Role.SUPPLIER_ADMIN
        ).user
        assert admin.check_password("a-long-passphrase-2026")
        assert kinds() == ["supplier.registered"]
        assert verify_stream(PLATFORM_STREAM) is None

    def test_an_invalid_business_number_is_refused(self, register):
        with pytest.raises(ValidationError) as error:
            register(brn="105-87-00011")
        assert error.value.code == "brn_check"
        assert not kinds()

    def test_the_same_company_cannot_register_twice(self, register):
        register(brn="105-87-00010")
        with pytest.raises(AlreadyRegistered):
            register(brn="1058700010", username="someone-else")

    def test_a_weak_password_or_taken_name_changes_nothing(self, register, bidder_a):
        with pytest.raises(SupplierError):
            services.supplier_register(
                name="x",
                brn="1058700010",
                profile=PROFILE,
                licences=[LicenceClaim(Category.objects.first())],
                admin=NewPerson("new", "x", "x@example.kr", "1234"),
            )
        with pytest.raises(SupplierError):
            register(username="bidder_a")
        assert not kinds()

    def test_a_signed_in_person_registers_their_company(self, furniture, outsider):
        supplier = services.supplier_register(
            name="조달가구",
            brn="1058700010",
            profile=PROFILE,
            licences=[LicenceClaim(furniture)],
            actor=outsider,
        )
        assert Membership.objects.filter(
            user=outsider, organisation=supplier.organisation, role=Role.SUPPLIER_ADMIN
        ).exists()

    def test_an_administrator_adds_a_bidder_but_nobody_else_can(self, register, bidder_a):
        supplier = register()
        admin = supplier.organisation.memberships.get(role=Role.SUPPLIER_ADMIN).user
        person = NewPerson("clerk", "박입찰", "clerk@example.kr", "another-long-pass-2026")
        with pytest.raises(PermissionDenied):
            services.supplier_person_add(
                supplier=supplier, actor=bidder_a, person=person, roles=[Role.BIDDER]
            )
        user = services.supplier_person_add(
            supplier=supplier, actor=admin, person=person, roles=[Role.BIDDER]
        )
        assert Membership.objects.filter(user=user, role=Role.BIDDER).exists()


class TestReview:
    def test_an_operator_verifies(self, register, operator):
        supplier = services.supplier_verify(supplier=register(), actor=operator)
        assert supplier.status == SupplierStatus.VERIFIED
        assert supplier.reviewed_by == operator

    @pytest.mark.parametrize("persona", ["officer", "bidder_a", "outsider"])
    def test_nobody_else_verifies(self, request, register, persona):
        supplier = register()
        with pytest.raises(PermissionDenied):
            services.supplier_verify(supplier=supplier, actor=request.getfixturevalue(persona))
        supplier.refresh_from_db()
        assert supplier.status == SupplierStatus.PENDING

    def test_a_rejection_needs_a_reason_and_can_be_answered(self, register, operator):
        supplier = register()
        with pytest.raises(SupplierError):
            services.supplier_reject(supplier=supplier, actor=operator, reason=" ")
        supplier = services.supplier_reject(
            supplier=supplier, actor=operator, reason="통장 사본의 예금주가 다릅니다"
        )
        assert supplier.status == SupplierStatus.REJECTED
        admin = supplier.organisation.memberships.get(role=Role.SUPPLIER_ADMIN).user
        supplier = services.supplier_resubmit(
            supplier=supplier, actor=admin, profile={"bank_holder": "누리가구"}
        )
        assert supplier.status == SupplierStatus.PENDING
        assert supplier.bank_holder == "누리가구"

    def test_closing_a_rejected_registration_releases_its_number(self, register, operator):
        # given someone registered a number that is not theirs and was rejected
        squatter = services.supplier_reject(
            supplier=register(), actor=operator, reason="사업자등록증명원과 다릅니다"
        )
        # when an operator closes the registration
        with pytest.raises(SupplierError):
            services.supplier_close(supplier=squatter, actor=operator, reason="")
        squatter = services.supplier_close(
            supplier=squatter, actor=operator, reason="타인의 사업자등록번호"
        )
        # then the real owner can register the number, and the record keeps it
        assert squatter.status == SupplierStatus.CLOSED
        assert squatter.released_brn == "1058700010"
        owner = register(username="real-owner")
        assert owner.organisation.code == "1058700010"
        assert kinds()[-2:] == ["supplier.closed", "supplier.registered"]
        assert verify_stream(PLATFORM_STREAM) is None

    def test_only_an_operator_closes_and_only_a_rejected_registration(
        self, register, operator, bidder_a
    ):
        supplier = register()
        with pytest.raises(SupplierError):
            services.supplier_close(supplier=supplier, actor=operator, reason="x")
        supplier = services.supplier_reject(supplier=supplier, actor=operator, reason="x")
        with pytest.raises(PermissionDenied):
            services.supplier_close(supplier=supplier, actor=bidder_a, reason="x")
        supplier.refresh_from_db()
        assert supplier.status == SupplierStatus.REJECTED
        assert supplier.organisation.code == "1058700010"

    def test_a_verified_company_cannot_be_verified_again(self, register, operator):
        supplier = services.supplier_verify(supplier=register(), actor=operator)
        with pytest.raises(SupplierError):
            services.supplier_verify(supplier=supplier, actor=operator)


class TestDebarment:
    def test_suspension_and_reinstatement_are_audited(self, register, operator):
        supplier = services.supplier_verify(supplier=register(), actor=operator)
        until = timezone.localdate() + timedelta(days=90)
        supplier = services.supplier_suspend(
            supplier=supplier, actor=operator, reason="입찰 담합", until=until
        )
        assert supplier.status == SupplierStatus.SUSPENDED
        assert supplier.is_debarred(timezone.localdate())
        supplier = services.supplier_reinstate(supplier=supplier, actor=operator)
        assert supplier.status == SupplierStatus.VERIFIED
        assert kinds()[-2:] == ["supplier.suspended", "supplier.reinstated"]

    def test_only_a_verified_company_can_be_suspended(self, register, operator):
        with pytest.raises(SupplierError):
            services.supplier_suspend(supplier=register(), actor=operator, reason="r", until=None)

    def test_a_person_cannot_reinstate_without_being_an_operator(self, register, operator, officer):
        supplier = services.supplier_verify(supplier=register(), actor=operator)
        supplier = services.supplier_suspend(
            supplier=supplier, actor=operator, reason="r", until=None
        )
        with pytest.raises(PermissionDenied):
            services.supplier_reinstate(supplier=supplier, actor=officer)

    def test_an_expired_debarment_is_lifted_by_the_platform(self, register, operator):
        supplier = services.supplier_verify(supplier=register(), actor=operator)
        today = timezone.localdate()
        services.supplier_suspend(
            supplier=supplier, actor=operator, reason="r", until=today + timedelta(days=1)
        )
        assert services.supplier_debarments_lift() == []
        with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
            lifted = services.supplier_debarments_lift()
        assert [s.pk for s in lifted] == [supplier.pk]
        supplier.refresh_from_db()
        assert supplier.status == SupplierStatus.VERIFIED
        assert AuditEvent.objects.filter(kind="supplier.reinstated", actor_label="system").exists()


class TestEligibility:
    def test_reasons_are_given_for_each_refusal(self, register, operator, furniture):
        works = Category.objects.get(code="W-CIVIL")
        now = timezone.now()
        supplier = register()
        assert "not verified" in supplier_refusals(supplier, categories=[], now=now)[0]
        supplier = services.supplier_verify(supplier=supplier, actor=operator)
        assert supplier_refusals(supplier, categories=[], now=now) == []
        assert supplier_refusals(supplier, categories=[furniture], now=now) == []
        assert "licence" in supplier_refusals(supplier, categories=[works], now=now)[0]
        services.supplier_suspend(
            supplier=supplier, actor=operator, reason="담합", until=date(2099, 1, 1)
        )
        supplier.refresh_from_db()
        assert (
            "suspended until 2099-01-01" in supplier_refusals(supplier, categories=[], now=now)[0]
        )

    def test_an_expired_licence_does_not_count(self, register, operator, furniture):
        supplier = services.supplier_verify(supplier=register(), actor=operator)
        supplier.licences.update(valid_until=timezone.localdate() - timedelta(days=1))
        assert supplier_refusals(supplier, categories=[furniture], now=timezone.now())
