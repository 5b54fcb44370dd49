"""`manage.py serve`: under daphne, form bodies reach Django whole although Twisted no longer
parses them; under uvicorn (production's server), the same application serves pages, forms,
WebSockets and the in-process clock."""

import inspect
import json
import re
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest
from twisted.web import http as twisted_http
from websockets.sync.client import connect

from accounts.models import User


def test_twisted_still_offers_the_flag_the_server_sets():
    # If Twisted renamed it, the server would set a flag nobody reads: parsing would come
    # back unnoticed on every form and upload.
    assert "parsePOSTFormSubmission" in inspect.signature(twisted_http.Request.__init__).parameters
    assert "_parsePOSTFormSubmission" in twisted_http.Request.__annotations__


def _opener():
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _login_form(server, opener) -> str:
    page = opener.open(f"{server}/accounts/login/").read().decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _multipart(fields: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), boundary


@pytest.fixture(params=["daphne", "uvicorn"])
def either_server(request, transactional_db):
    return request.getfixturevalue("server" if request.param == "daphne" else "uvicorn_server")


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_form_post_reaches_django_whole(either_server, encoding):
    server = either_server
    User.objects.create_user(username="former", password="correct-horse-battery")
    opener, jar = _opener()
    token = _login_form(server, opener)
    fields = {
        "csrfmiddlewaretoken": token,
        "username": "former",
        "password": "correct-horse-battery",
    }
    if encoding == "urlencoded":
        body = urllib.parse.urlencode(fields).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body, boundary = _multipart(fields)
        content_type = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(  # noqa: S310 - the test's own http:// server
        f"{server}/accounts/login/",
        data=body,
        headers={"Content-Type": content_type, "Referer": f"{server}/accounts/login/"},
    )
    answer = opener.open(request)
    # Signed in: Django read the password from the body, set the session's cookie and sent
    # the person on to their own page.
    assert answer.url == f"{server}/accounts/me/"
    assert "sessionid" in {cookie.name for cookie in jar}


def test_uvicorn_serves_the_live_tender_and_its_clock(uvicorn_server, opening_soon):
    """A watcher's socket gets its hello, and the push the server's own clock makes when
    bidding opens: WebSockets and the in-process clock run on uvicorn's loop."""
    tender = opening_soon(seconds=3)
    address = uvicorn_server.replace("http://", "ws://") + f"/ws/tenders/{tender.pk}/"
    with connect(address, origin=uvicorn_server, open_timeout=10) as socket:
        hello = json.loads(socket.recv(timeout=10))
        assert hello["type"] == "hello"
        assert hello["topic"].endswith(str(tender.pk))
        deadline, pushed = time.monotonic() + 20, None
        while pushed is None and time.monotonic() < deadline:
            message = json.loads(socket.recv(timeout=deadline - time.monotonic()))
            if message["type"] == "event" and message["seq"] > hello["seq"]:
                pushed = message
    assert pushed is not None, "no live event reached the socket"
    tender.refresh_from_db()
    assert tender.status == "bidding"
