"""Opening officers register the key their opening shares are sealed to."""

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from django.core.exceptions import PermissionDenied

from accounts.tokens import api_token_create
from bidding.exceptions import ReceivingKeyRefused
from bidding.models import ShareReceivingKey
from bidding.opening_key import public_key_bytes
from bidding.services import receiving_key_current, receiving_key_register
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def new_public_key() -> bytes:
    return public_key_bytes(X25519PrivateKey.generate().public_key())


def test_an_opening_officer_registers_and_replaces_their_key(opening_officer):
    first = receiving_key_register(actor=opening_officer, public_key=new_public_key())
    second = receiving_key_register(actor=opening_officer, public_key=new_public_key())
    first.refresh_from_db()
    assert first.retired_at is not None
    assert receiving_key_current(opening_officer) == second
    assert AuditEvent.objects.filter(kind="opening.receiving_key_registered").count() == 2


def test_only_opening_officers_register(officer, bidder_a):
    for person in (officer, bidder_a):
        with pytest.raises(PermissionDenied):
            receiving_key_register(actor=person, public_key=new_public_key())
    assert not ShareReceivingKey.objects.exists()


@pytest.mark.parametrize("bad", [b"", bytes(32), b"x" * 31, b"x" * 33])
def test_a_malformed_key_is_refused(opening_officer, bad):
    with pytest.raises(ReceivingKeyRefused):
        receiving_key_register(actor=opening_officer, public_key=bad)


def test_the_api_takes_hex_and_shows_the_current_key(client, opening_officer):
    token = api_token_create(user=opening_officer, name="client")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/opening/receiving-key/", **auth).status_code == 404
    public = new_public_key()
    response = client.post(
        "/api/v1/opening/receiving-key/",
        {"public_key": public.hex()},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    assert client.get("/api/v1/opening/receiving-key/", **auth).json()["public_key"] == public.hex()
    again = client.post(
        "/api/v1/opening/receiving-key/",
        {"public_key": public.hex()},
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 400
    assert again.json()["code"] == "registered"
    garbage = client.post(
        "/api/v1/opening/receiving-key/",
        {"public_key": "zz"},
        content_type="application/json",
        **auth,
    )
    assert garbage.status_code == 400


def test_the_api_refuses_people_who_are_not_opening_officers(client, bidder_a):
    token = api_token_create(user=bidder_a, name="client")[1]
    response = client.post(
        "/api/v1/opening/receiving-key/",
        {"public_key": new_public_key().hex()},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
