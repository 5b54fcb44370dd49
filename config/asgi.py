"""ASGI entry point: HTTP (Django) and WebSockets (Channels) in one application."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from config.http_handler import PooledASGIHandler  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": PooledASGIHandler(threads=settings.HTTP_THREADS),
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

# Every module, class and function is loaded now (the URLs import the views): none of it
# will ever be garbage. Frozen, the collector's full passes no longer walk it all: under a
# deadline's load each such pass took ~130 ms of a platform process, and ~15 ms frozen
# (docs/performance.md).
get_resolver().url_patterns  # noqa: B018 - imports every view now, not on the first request
gc.collect()
gc.freeze()
