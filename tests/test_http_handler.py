"""HTTP through the real ASGI application (config/asgi.py): Django's request path run in
one hop on the handler's threads, static files from the synchronous servestatic middleware."""

import asyncio
import json
import threading
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.tokens import api_token_create
from config.asgi import application
from config.http_handler import token_api_request
from procurement import services

pytestmark = [pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
HOST = [(b"host", b"127.0.0.1")]


@pytest.fixture(autouse=True)
async def _sync_thread_connection_closed():
    """database_sync_to_async runs on asgiref's one thread for synchronous code; whatever
    connection it is left holding after a test is closed, so that the test database can be
    dropped at the end of the run."""
    yield
    await sync_to_async(connections.close_all)()


def handler():
    return application.application_mapping["http"]


async def fetch(path: str, method: str = "GET", headers=(), body: bytes = b""):
    communicator = HttpCommunicator(
        application, method, path, body=body, headers=HOST + list(headers)
    )
    response = await communicator.get_response(timeout=10)
    response["headers"] = {name.lower(): value for name, value in response["headers"]}
    return response


async def test_a_page_is_served_with_the_middleware_s_headers():
    response = await fetch("/")
    assert response["status"] == 200
    assert b"<html" in response["body"]
    headers = response["headers"]
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"content-security-policy" in headers
    assert b"csrftoken=" in headers[b"set-cookie"]  # the page's forms carry a CSRF token


async def test_the_api_answers_json_and_refuses_a_bad_token():
    listing = await fetch("/api/v1/tenders/")
    assert listing["status"] == 200
    assert listing["headers"][b"content-type"].startswith(b"application/json")
    refused = await fetch(
        "/api/v1/tenders/", headers=[(b"authorization", b"Bearer jt_nothing_here")]
    )
    assert refused["status"] == 401
    assert refused["headers"][b"www-authenticate"] == b'Bearer realm="jangteo"'


async def test_a_post_body_reaches_the_view(published, bidder_a):
    tender, token = await database_sync_to_async(
        lambda: (published(), api_token_create(user=bidder_a, name="http")[1])
    )()

    async def submit(body: bytes):
        response = await fetch(
            f"/api/v1/tenders/{tender.pk}/lots/1/bids",
            method="POST",
            headers=[
                (b"authorization", f"Bearer {token}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            body=body,
        )
        return response["status"], json.loads(response["body"])["code"]

    # The view read each body: what it says differs with what was sent.
    assert await submit(b"{not json") == (400, "json")
    assert await submit(b'{"envelope": "%%%", "signature": "AAAA"}') == (400, "base64")


async def test_a_static_file_is_served_whole_then_not_modified():
    expected = (ROOT / "static" / "js" / "bid.js").read_bytes()
    response = await fetch("/static/js/bid.js")
    assert response["status"] == 200
    assert response["body"] == expected
    assert response["headers"][b"content-length"] == str(len(expected)).encode()
    assert response["headers"][b"content-type"].startswith(b"text/javascript")
    again = await fetch(
        "/static/js/bid.js", headers=[(b"if-none-match", response["headers"][b"etag"])]
    )
    assert again["status"] == 304
    assert again["body"] == b""


async def test_a_file_response_streams_from_the_threads(make_draft, officer):
    content = b"0123456789" * 20_000  # several parts of the handler's 64 KiB

    def tender_with_document():
        draft = make_draft()
        document = services.document_add(
            tender=draft,
            actor=officer,
            title="설계서",
            upload=SimpleUploadedFile("spec.txt", content),
        )
        services.tender_publish(tender=draft, actor=officer)
        return draft, document

    tender, document = await database_sync_to_async(tender_with_document)()
    response = await fetch(f"/tenders/{tender.pk}/documents/{document.pk}/")
    assert response["status"] == 200
    assert response["body"] == content
    assert not await _threads_holding_a_connection()  # the view's thread gave its back


async def _threads_holding_a_connection() -> list[bool]:
    """Each pool thread, whether it keeps a database connection open after its request
    (none should, unless the settings keep connections between requests, as SQLite's do)."""
    if connection.settings_dict["CONN_MAX_AGE"]:
        return []
    threads = handler().threads.size
    every_thread = threading.Barrier(threads, timeout=10)  # one call on each, none on two

    def holds() -> bool:
        every_thread.wait()
        return connection.connection is not None

    held = await asyncio.gather(*(handler().threads.run(holds) for _ in range(threads)))
    return [thread for thread in held if thread]


async def test_requests_beyond_the_threads_wait_their_turn_and_give_back_connections():
    threads = handler().threads.size
    responses = await asyncio.gather(*(fetch("/api/v1/tenders/") for _ in range(threads * 3)))
    assert [r["status"] for r in responses] == [200] * (threads * 3)
    # request_finished ran on each thread that served: none keeps a connection checked out.
    assert not await _threads_holding_a_connection()


async def test_websockets_are_not_this_handler_s():
    with pytest.raises(ValueError, match="only handle ASGI/HTTP"):
        await handler()({"type": "websocket"}, None, None)


def test_a_pool_thread_outlives_the_loop_of_the_call_it_ran():
    # A server stopping closes its loop while a request may still run on the pool: the
    # thread must go on serving (a dead one would leave the pool a thread short, forever).
    from config.http_handler import ThreadPool

    pool = ThreadPool(1, name="test")
    release = threading.Event()

    async def start():
        return pool.run(release.wait)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(start())
    loop.close()
    release.set()

    async def next_call():
        return await asyncio.wait_for(pool.run(lambda: 42), timeout=10)

    assert asyncio.run(next_call()) == 42
    error = asyncio.run(asyncio.wait_for(_failing(pool), timeout=10))
    assert isinstance(error, ZeroDivisionError)  # and a call's error reaches its awaiter


async def _failing(pool):
    try:
        await pool.run(lambda: 1 / 0)
    except ZeroDivisionError as error:
        return error


def test_the_api_s_requests_with_a_token_are_told_apart():
    def scope(path, *headers, root_path=""):
        return {"path": path, "root_path": root_path, "headers": list(headers)}

    bearer = (b"authorization", b"Bearer jt_x")
    assert token_api_request(scope("/api/v1/tenders/", HOST[0], bearer))
    mounted = scope("/portal/api/v1/", (b"Authorization", b"Bearer jt_x"), root_path="/portal")
    assert token_api_request(mounted)
    assert not token_api_request(scope("/api/v1/tenders/"))
    assert not token_api_request(scope("/api/v1/tenders/", (b"authorization", b"Basic eDp5")))
    assert not token_api_request(scope("/tenders/", bearer))  # a page: the browser's way


async def test_a_token_s_request_has_the_same_headers_and_language_without_a_session(bidder_a):
    token = await database_sync_to_async(lambda: api_token_create(user=bidder_a, name="http")[1])()
    korean = [(b"accept-language", b"ko")]
    anonymous = await fetch("/api/v1/tenders/", headers=korean)
    signed = await fetch(
        "/api/v1/tenders/", headers=korean + [(b"authorization", f"Bearer {token}".encode())]
    )
    assert anonymous["status"] == signed["status"] == 200
    assert anonymous["body"] == signed["body"]
    for header in (
        b"x-frame-options",
        b"x-content-type-options",
        b"referrer-policy",
        b"cross-origin-opener-policy",
        b"content-security-policy",
        b"content-language",
        b"content-type",
    ):
        assert signed["headers"][header] == anonymous["headers"][header], header
    assert signed["headers"][b"content-language"] == b"ko"
    assert b"set-cookie" not in signed["headers"]  # no session, no CSRF cookie
    # What the answer varies with: the language, never a cookie it did not read.
    assert signed["headers"][b"vary"] == b"Accept, Accept-Language"

    # A refusal speaks the caller's language too, and a session cookie changes nothing.
    refused = await fetch(
        "/api/v1/tenders/",
        headers=korean
        + [(b"authorization", b"Bearer jt_nothing_here"), (b"cookie", b"sessionid=whatever")],
    )
    assert refused["status"] == 401
    assert refused["headers"][b"content-language"] == b"ko"
    with translation.override("ko"):
        assert json.loads(refused["body"])["detail"] == _("Unknown or revoked API token.")
