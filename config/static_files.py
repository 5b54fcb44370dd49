"""Static files, served by servestatic from a synchronous middleware.

servestatic's own middleware is async only. The platform runs its middleware synchronously
(config/http_handler.py), and Django would adapt an async-only middleware by starting an
event loop on every request that passes it, static or not (about a millisecond each).
This is the same middleware, with the same settings, finders and headers, answering through
servestatic's synchronous file responses.
"""

from django.http import FileResponse
from servestatic.middleware import ServeStaticMiddleware


async def _unused(request):  # servestatic's constructor insists on an async next handler
    raise AssertionError("not called")


class ServeStaticFileResponse(FileResponse):
    """servestatic has made every header already (type, length, caching, ETag)."""

    def set_headers(self, filelike) -> None:
        pass


class StaticFilesMiddleware(ServeStaticMiddleware):
    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        super().__init__(_unused)
        self.__dict__.pop("_is_coroutine", None)  # markcoroutinefunction, before Python 3.12
        self.__dict__.pop("_is_coroutine_marker", None)  # and from 3.12 on
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        found = self.find_file(path) if self.autorefresh else self.files.get(path)
        if found is None:
            return self.get_response(request)
        served = found.get_response(request.method or "GET", request.META)
        response = ServeStaticFileResponse(served.file or iter(()), status=int(served.status))
        del response["Content-Type"]
        for header, value in served.headers:
            if value is not None:
                response[header] = value
        return response
