import pytest
from django.core.cache import cache

from core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def login(client, password, username="officer", address="203.0.113.7"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_a_person_signs_in_and_out(client, officer):
    response = login(client, "correct-horse-battery")
    assert response.status_code == 302
    assert client.get("/accounts/me/").status_code == 200
    assert AuditEvent.objects.filter(stream="platform", kind="auth.login").exists()
    client.post("/accounts/logout/")
    assert client.get("/accounts/me/").status_code == 302


def test_a_wrong_password_is_refused_and_audited(client, officer):
    assert login(client, "wrong").status_code == 200
    assert AuditEvent.objects.filter(stream="platform", kind="auth.login_failed").exists()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, officer, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        login(client, "wrong")
    response = login(client, "correct-horse-battery")
    assert response.status_code == 429
    assert "Too many" in response.content.decode() or "너무" in response.content.decode()
    assert client.get("/accounts/me/").status_code == 302
    assert AuditEvent.objects.filter(kind="auth.login_throttled").exists()


def test_one_address_guessing_many_accounts_is_throttled(client, officer, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for name in ("a", "b", "c"):
        login(client, "wrong", username=name)
    assert login(client, "correct-horse-battery").status_code == 429
    # the same account from another address is still welcome once its own count is low
    assert login(client, "correct-horse-battery", address="198.51.100.1").status_code == 302


def test_the_operator_console_login_is_throttled_and_audited_too(client, operator, settings):
    settings.LOGIN_RATE_LIMIT = 2
    operator.is_staff = True
    operator.save()
    for _ in range(2):
        client.post(
            "/operator/login/",
            {"username": "operator", "password": "wrong"},
            REMOTE_ADDR="192.0.2.9",
        )
    client.post(
        "/operator/login/",
        {"username": "operator", "password": "correct-horse-battery"},
        REMOTE_ADDR="192.0.2.9",
    )
    assert client.get("/operator/").status_code == 302  # still not signed in
    assert AuditEvent.objects.filter(kind="auth.login_failed").count() == 2
    assert AuditEvent.objects.filter(kind="auth.login_throttled").count() == 1


def test_the_operator_console_login_is_audited_on_success(client, operator):
    operator.is_staff = True
    operator.save()
    client.post("/operator/login/", {"username": "operator", "password": "correct-horse-battery"})
    assert client.get("/operator/").status_code == 200
    assert AuditEvent.objects.filter(kind="auth.login", actor_id=operator.pk).exists()
