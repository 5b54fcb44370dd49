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
