"""What each officer's share still asks of them, on their page and over the API: read it,
keep it, enter it once the deadline has passed, and nothing more once the key is rebuilt or
the tender is cancelled."""

import pytest

from bidding.opening import opening_share_enter, openings_resume
from bidding.publication import opening_share_received, opening_shares_of, share_standing
from core import clock
from procurement.services import tender_cancel

from .test_opening import after_deadline

pytestmark = pytest.mark.django_db


def standing(opener):
    return share_standing(opening_shares_of(opener.user).get(), now=clock.now())


def api_standing(client, opener):
    client.force_login(opener.user)
    (share,) = client.get("/api/v1/opening/shares/").json()
    return share["standing"], share["opened_at"]


def page_standing(client, opener) -> str:
    client.force_login(opener.user)
    page = client.get("/opening/shares/").content.decode()
    return page.split('data-standing="', 1)[1].split('"', 1)[0]


def test_a_share_from_publication_to_the_opening(client, in_bidding, openers):
    first, second = openers[0], openers[1]
    words = {o.user.pk: o.shares()[in_bidding.ocid] for o in (first, second)}
    assert standing(first) == "waiting"
    opening_share_received(share=opening_shares_of(first.user).get(), actor=first.user)
    assert standing(first) == "received"
    assert standing(second) == "waiting"

    after_deadline(in_bidding)
    assert standing(first) == standing(second) == "due"
    assert page_standing(client, first) == "due"

    opening_share_enter(tender=in_bidding, actor=first.user, share=words[first.user.pk])
    assert standing(first) == "entered"
    assert standing(second) == "due"

    opening_share_enter(tender=in_bidding, actor=second.user, share=words[second.user.pk])
    openings_resume()
    assert standing(first) == standing(second) == "opened"
    state, opened_at = api_standing(client, second)
    assert state == "opened"
    assert opened_at
    assert page_standing(client, second) == "opened"


def test_a_cancelled_tender_asks_for_no_share(client, in_bidding, openers, officer):
    tender_cancel(tender=in_bidding, actor=officer, reason="예산 삭감")
    assert standing(openers[0]) == "cancelled"
    assert api_standing(client, openers[0]) == ("cancelled", None)
    after_deadline(in_bidding)
    assert page_standing(client, openers[0]) == "cancelled"
