import asyncio

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand

from procurement.clock import ClockRunner, clock_jobs_run


async def clock_loop(interval: float) -> None:
    # On the server's own loop, so the clock's pushes reach the in-memory channel layer.
    step = database_sync_to_async(ClockRunner(jobs=False).step)
    while True:
        await step()
        await asyncio.sleep(interval)


async def jobs_loop(interval: float) -> None:
    # The clock's jobs (opening envelopes) may run for seconds: not on the thread the
    # requests' synchronous code shares.
    run = database_sync_to_async(clock_jobs_run, thread_sensitive=False)
    while True:
        await run()
        await asyncio.sleep(interval)


def server_class():
    """daphne's server, with Twisted's parsing of form bodies turned off for every request.

    Twisted parses an urlencoded or multipart POST body into `request.args` before daphne
    sees the request; daphne never reads them (it hands Django the raw body, which Django
    parses itself). The parse is wasted work on every form and file upload, and its
    Content-Type parse through the `email` package alone took 5 % of a bid's time in the
    deadline storm. Twisted's Request takes `parsePOSTFormSubmission=False` for this, but
    daphne makes its requests itself; it tells the server of each new one before any of
    its body arrives, which is where this sets the same flag."""
    from daphne import server as daphne_server
    from twisted.web import http

    class Server(daphne_server.Server):
        def protocol_connected(self, protocol):
            if isinstance(protocol, http.Request):
                protocol._parsePOSTFormSubmission = False
            super().protocol_connected(protocol)

    return Server


class Command(BaseCommand):
    help = (
        "Serve HTTP and WebSockets with daphne (the default) or uvicorn (httptools, uvloop: "
        "production's choice, docs/operations.md); with JANGTEO_CLOCK=inprocess (the "
        "embedded default) the tender clock runs on the server's own event loop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--server", choices=("daphne", "uvicorn"), default="daphne")

    def handle(self, *args, host: str, port: int, server: str, **options):
        if server == "uvicorn":
            self._uvicorn(host, port, options["verbosity"])
        else:
            self._daphne(host, port, options["verbosity"])

    def _ready(self, loop, host: str, port: int, server: str) -> None:
        if settings.CLOCK_MODE == "inprocess":
            loop.create_task(clock_loop(settings.CLOCK_INTERVAL_SECONDS))
            loop.create_task(jobs_loop(settings.CLOCK_INTERVAL_SECONDS))
        self.stdout.write(
            f"Jangteo is serving at http://{host}:{port}/ ({server}, clock: {settings.CLOCK_MODE})"
        )

    def _daphne(self, host: str, port: int, verbosity: int) -> None:
        # daphne.server installs Twisted's asyncio reactor on import: import it first.
        from daphne import server as daphne_server
        from daphne.endpoints import build_endpoint_description_strings

        from config.asgi import application

        loop = daphne_server.twisted_loop
        server_class()(
            application=application,
            endpoints=build_endpoint_description_strings(host=host, port=port),
            ready_callable=lambda: self._ready(loop, host, port, "daphne"),
            **(
                {
                    "proxy_forwarded_address_header": "X-Forwarded-For",
                    "proxy_forwarded_port_header": "X-Forwarded-Port",
                    "proxy_forwarded_proto_header": "X-Forwarded-Proto",
                }
                if settings.PROXY_HEADERS
                else {}
            ),
            verbosity=verbosity,
        ).run()

    def _uvicorn(self, host: str, port: int, verbosity: int) -> None:
        """The same application under uvicorn: HTTP parsed by httptools (llhttp, in C), the
        event loop uvloop's (libuv), WebSockets by the `websockets` package. Per bid it
        executes 8 % fewer instructions than daphne and half as many per static file
        (docs/performance.md)."""
        import uvicorn
        import uvloop

        from config.asgi import application

        server = uvicorn.Server(
            uvicorn.Config(
                application,
                host=host,
                port=port,
                http="httptools",
                ws="websockets-sansio",
                lifespan="off",  # Channels' router has no lifespan; nothing needs it
                log_config=None,  # Django's logging, as under daphne
                log_level="info" if verbosity > 1 else "warning",
                access_log=verbosity > 1,  # daphne logs none by default either
                # Behind a load balancer, as daphne is told above: it sets these headers.
                proxy_headers=settings.PROXY_HEADERS,
                forwarded_allow_ips="*" if settings.PROXY_HEADERS else None,
                server_header=False,
            )
        )

        async def serve() -> None:
            serving = asyncio.create_task(server.serve())
            while not server.started and not serving.done():
                await asyncio.sleep(0.05)
            if server.started:
                self._ready(asyncio.get_running_loop(), host, port, "uvicorn")
            await serving

        uvloop.run(serve())
