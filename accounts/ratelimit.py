"""Login throttling: a fixed window of failed attempts per account and per client address.

Counting both stops one address guessing many passwords and many addresses guessing one
account's. Counters live in the cache (Redis in production, so every process shares them).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, address: str) -> list[str]:
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{user_key}", f"login-fail:addr:{address}"]


def login_blocked(username: str, address: str) -> bool:
    limit = settings.LOGIN_RATE_LIMIT
    counts = cache.get_many(_keys(username, address))
    return any(count >= limit for count in counts.values())


def login_failed(username: str, address: str) -> None:
    window = settings.LOGIN_RATE_WINDOW_SECONDS
    for key in _keys(username, address):
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def login_succeeded(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
