"""The evaluation page: public, with each person's actions offered only to them."""

import json
import re

import pytest

from evaluation import services
from evaluation.models import Evaluation, ReviewStatus

pytestmark = pytest.mark.django_db


def config_of(client, tender) -> dict:
    page = client.get(f"/tenders/{tender.pk}/evaluation/").content.decode()
    found = re.search(
        r'<script id="evaluation-config" type="application/json">(.*?)</script>', page
    )
    return json.loads(found.group(1))


@pytest.fixture
def awarded(opened_tender, lowest_price, officer_signer):
    tender = opened_tender(lowest_price, {0: (95_000_000, ()), 1: (93_000_000, ())})
    review = Evaluation.objects.get(lot__tender=tender).reviews.get(status=ReviewStatus.PROPOSED)
    services.award_make(
        review=review, actor=officer_signer.user,
        signature=officer_signer.sign(services.award_statement(review)),
    )  # fmt: skip
    return tender


def test_the_public_reads_the_page_and_is_offered_nothing(client, awarded):
    config = config_of(client, awarded)
    assert (config["officer"], config["reviewer"], config["complain"]) == (False, False, [])


def test_each_person_is_offered_their_own_actions(client, awarded, officer, reviewer, bidders):
    client.force_login(officer)
    assert config_of(client, awarded)["officer"] is True
    client.force_login(reviewer)
    assert config_of(client, awarded)["reviewer"] is True
    client.force_login(bidders[0].user)  # A lost: may complain, for A
    assert [c["supplier"] for c in config_of(client, awarded)["complain"]] == [bidders[0].brn]


def test_a_draft_has_no_evaluation_page(client, make_draft):
    assert client.get(f"/tenders/{make_draft().pk}/evaluation/").status_code == 404
