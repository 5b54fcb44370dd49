"""Django's ASGI handler, with each request's synchronous work done in one thread hop.

Django's own ASGI handler runs the middleware in async mode: every synchronous middleware
crosses to a thread and back twice, and every request starts a thread of its own for its
synchronous code (asgiref's ThreadSensitiveContext). This platform's middleware and views
are all synchronous, so under the deadline storm that machinery, and the GIL contention of
one thread per request in flight, cost more than the submission itself (docs/performance.md).

Here the event loop only reads the body and writes the response, as before; in between,
the whole request (request_started, middleware, view, the response's close and
request_finished) runs in one call on a fixed pool of threads, the way a threaded WSGI
server runs Django. A request's thread takes a database connection (from the connection
pool on PostgreSQL) and gives it back as the request ends (request_finished), or as the view
returns when the response streams. WebSockets are not served here (Channels' consumers,
config/asgi.py).

A request to the API with an API token goes through the middleware without sessions, CSRF,
the session's user, messages and static files (settings.BROWSER_SESSION_MIDDLEWARE): the
token authenticates it or refuses it, and none of those has anything to do for it. At a
deadline that is a few per cent of every bid's cost (docs/performance.md).
"""

import asyncio
import contextlib
import queue
import threading

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import set_script_prefix


class ThreadPool:
    """A fixed number of threads that run calls for an event loop; each call's outcome comes
    back to the loop as an asyncio future.

    `loop.run_in_executor` does the same through concurrent.futures: a second future with
    a Condition per call, and the chaining of the two. At hundreds of requests a second
    that bookkeeping was a tenth of a static file's cost; here a call is one queue entry
    and one callback to the loop. The threads start with the first call (a process that
    imports the application and never serves from it starts none)."""

    def __init__(self, size: int, name: str):
        self.size, self.name = size, name
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._started = False
        self._start_lock = threading.Lock()

    def run(self, function, *args) -> asyncio.Future:
        """`function(*args)` on one of the threads; await the future for its result."""
        if not self._started:
            self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._calls.put((loop, future, function, args))
        return future

    def _start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            for number in range(self.size):
                name = f"{self.name}-{number}"
                threading.Thread(target=self._work, name=name, daemon=True).start()
            self._started = True

    def _work(self) -> None:
        while True:
            loop, future, function, args = self._calls.get()
            result = error = None
            try:
                result = function(*args)
            except BaseException as failure:  # noqa: BLE001 - handed to the awaiting request
                error = failure
            # A closed loop (the server is stopping) has nobody waiting for this outcome.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_outcome, future, result, error)
            # Hold nothing of this request (its response, its body) while waiting for the next.
            del loop, future, function, args, result, error


def _outcome(future: asyncio.Future, result, error) -> None:
    if future.cancelled():  # the client went away while its request ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def token_api_request(scope) -> bool:
    """Whether the request is to the API and carries an API token (`Bearer`, as
    accounts.tokens.BearerTokenAuthentication reads it: with such a header it never falls
    back to the session)."""
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    if not path.startswith("/api/"):
        return False
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            return value.startswith(b"Bearer ")
    return False


class _Chain(base.BaseHandler):
    """Django's request handling through the middleware `names`, loaded as Django loads
    settings.MIDDLEWARE."""

    def __init__(self, names: list[str]):
        # Django's loading reads only the setting: it names this list while the chain is
        # built, once, as the application starts and before it serves anything.
        everything = settings.MIDDLEWARE
        settings.MIDDLEWARE = names
        try:
            self.load_middleware(is_async=False)
        finally:
            settings.MIDDLEWARE = everything


class PooledASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        browser_only = set(settings.BROWSER_SESSION_MIDDLEWARE)
        self.token_api = _Chain([name for name in settings.MIDDLEWARE if name not in browser_only])
        self.threads = ThreadPool(threads, name="http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self.threads.run(self._respond, scope, body_file)
            if response.streaming:
                await self._send_streaming(response, send)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        """Everything Django does for a request between reading it and sending it. A
        response that is not streamed is closed here (request_finished: this thread's
        database connection goes back), so it needs this thread no more."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            chain = self.token_api if token_api_request(scope) else self
            response = chain.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        else:
            # The view is done with the database; the parts (a file's) are read on whichever
            # thread is free and request_finished runs on the one that closes the response,
            # so this thread gives its connection back now, not at its next request's end.
            close_old_connections()
        return response

    async def _send_streaming(self, response, send) -> None:
        """Start the response, then its parts as they come: a synchronous iterator (a file)
        is read on the pool, one part a hop; the response is closed there too."""
        await self._send_start(response, send)
        try:
            if response.is_async:
                async for part in response.streaming_content:
                    await self._send_part(part, send)
            else:
                parts = iter(response.streaming_content)
                while True:
                    part = await self.threads.run(next, parts, None)
                    if part is None:
                        break
                    await self._send_part(part, send)
            await send({"type": "http.response.body", "body": b""})
        finally:
            await self.threads.run(response.close)

    async def _send_start(self, response, send) -> None:
        # Django's send_response, up to the first message: the same headers and cookies.
        # Not send_response itself for a stream: it would turn a synchronous iterator into a
        # list first (StreamingHttpResponse.__aiter__), a whole file in memory.
        headers = [
            (
                header.encode("ascii") if isinstance(header, str) else bytes(header),
                value.encode("latin1") if isinstance(value, str) else bytes(value),
            )
            for header, value in response.items()
        ]
        headers += [
            (b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
            for cookie in response.cookies.values()
        ]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )

    async def _send_part(self, part, send) -> None:
        for chunk, _last in self.chunk_bytes(part):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
