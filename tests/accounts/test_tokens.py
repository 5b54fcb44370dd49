from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.exceptions import PermissionDenied

from accounts.models import ApiToken
from accounts.tokens import api_token_create, api_token_revoke
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_stored_only_as_a_hash(bidder_a):
    row, token = api_token_create(user=bidder_a, name="ERP")
    assert token.startswith(f"jt_{row.prefix}_")
    assert token not in str(ApiToken.objects.values().get())
    assert AuditEvent.objects.filter(kind="auth.token_created").exists()


def test_the_api_knows_the_person_by_the_token(client, bidder_a, pki):
    _row, token = api_token_create(user=bidder_a, name="cli")
    assert client.get("/api/v1/certificates/").status_code in (401, 403)
    response = client.get("/api/v1/certificates/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_a_tokens_last_use_is_kept_to_the_minute(client, bidder_a, pki):
    import time_machine

    _row, token = api_token_create(user=bidder_a, name="cli")
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

    def use_at(moment):
        with time_machine.travel(moment, tick=False):
            response = client.get("/api/v1/certificates/", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 200
        return ApiToken.objects.get().last_used_at

    assert ApiToken.objects.get().last_used_at is None
    assert use_at(start) == start
    assert use_at(start + timedelta(seconds=59)) == start  # no write for every call
    later = start + timedelta(seconds=61)
    assert use_at(later) == later


def test_an_inactive_persons_token_is_refused_and_not_marked_used(client, bidder_a):
    _row, token = api_token_create(user=bidder_a, name="cli")
    bidder_a.is_active = False
    bidder_a.save(update_fields=["is_active"])
    response = client.get("/api/v1/certificates/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert ApiToken.objects.get().last_used_at is None


def test_a_revoked_or_wrong_token_is_refused(client, bidder_a, bidder_b):
    row, token = api_token_create(user=bidder_a, name="cli")
    with pytest.raises(PermissionDenied):  # only the owner revokes
        api_token_revoke(token=row, actor=bidder_b)
    api_token_revoke(token=row, actor=bidder_a)
    for bad in (token, token[:-2] + "xx", "nonsense"):
        response = client.get("/api/v1/certificates/", HTTP_AUTHORIZATION=f"Bearer {bad}")
        assert response.status_code == 401


def test_tokens_are_made_and_revoked_on_the_persons_page(client, bidder_a):
    client.force_login(bidder_a)
    page = client.post("/accounts/me/tokens/", {"name": "ERP"}).content.decode()
    row = ApiToken.objects.get()
    assert f"jt_{row.prefix}_" in page
    client.post(f"/accounts/me/tokens/{row.pk}/revoke/")
    row.refresh_from_db()
    assert row.revoked_at is not None
