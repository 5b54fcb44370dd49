"""Opened tenders to evaluate, and an officer who signs with a certificate of their agency."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509

from bidding.services import tender_register
from esign.services import certificate_issue
from tests.bidding import sealing
from tests.bidding.sealing import Bidder, bidder_make
from tests.bidding.test_opening import open_with, submit
from tests.conftest import _person, _supplier, make_csr
from tests.esign.foreign import sign_detached

bidders = sealing.bidders  # the two competing suppliers' bidders, as in the bidding tests


@dataclass
class Signer:
    user: object
    key: object
    certificate: x509.Certificate

    def sign(self, content: bytes) -> bytes:
        return sign_detached(self.key, self.certificate, content)


@pytest.fixture
def officer_signer(pki, officer, agency):
    key, csr = make_csr()
    record = certificate_issue(holder=officer, organisation=agency, csr_data=csr, actor=officer)
    return Signer(officer, key, x509.load_pem_x509_certificate(record.pem.encode()))


@pytest.fixture
def third_bidder(pki):
    from accounts.models import Organisation, OrganisationKind, Role

    company = Organisation.objects.create(
        kind=OrganisationKind.COMPANY, name="다온상사", code="1208112342"
    )
    return bidder_make(_person("bidder_c", company, Role.BIDDER), _supplier(company))


@pytest.fixture
def opened_tender(published, bidders, third_bidder, openers):
    """open(procedure, {bidder index: (amount, picks)}) -> the opened tender, lot 1 only;
    the clock stays in the tender's evaluation (`tender.travel`)."""
    everyone: list[Bidder] = [*bidders, third_bidder]
    travels = []

    def make(procedure, bids: dict, **deadlines):
        tender = published(procedure=procedure, **deadlines)
        for bidder in everyone:
            tender_register(tender=tender, supplier=bidder.supplier, actor=bidder.user)
        traveller = time_machine.travel(tender.bid_open_at + timedelta(hours=1), tick=False)
        tender.travel = traveller.start()
        travels.append(traveller)

        def finish():  # back to the real clock before the next tender is made
            travels.remove(traveller)
            traveller.stop()

        tender.finish = finish
        for index, (amount, picks) in bids.items():
            submit(tender, everyone[index], amount=amount, picks=picks)
        open_with(tender, openers[0], openers[1])
        return tender

    yield make
    for traveller in reversed(travels):
        traveller.stop()


@pytest.fixture
def evaluators(pki, agency):
    """Five evaluators of the buying agency, each with a certificate of it."""
    from accounts.models import Role

    people = []
    for n in range(1, 6):
        user = _person(f"evaluator{n}", agency, Role.EVALUATOR)
        key, csr = make_csr()
        record = certificate_issue(holder=user, organisation=agency, csr_data=csr, actor=user)
        people.append(Signer(user, key, x509.load_pem_x509_certificate(record.pem.encode())))
    return people
