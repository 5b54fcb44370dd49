"""What every command shares: the platform's API, errors the person can fix, passphrases."""

import getpass
import json
import os
import urllib.error
import urllib.request
from pathlib import Path


class ClientError(Exception):
    """Something the person can fix; printed without a traceback."""


class Api:
    def __init__(self, server: str, token: str):
        if not server or not token:
            raise ClientError("give --server and --token (or JANGTEO_URL and JANGTEO_TOKEN)")
        if not server.startswith(("https://", "http://")):
            raise ClientError("the server address must start with https:// (or http://)")
        self.server, self.token = server.rstrip("/"), token

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            f"{self.server}{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read()).get("detail", "")
            except ValueError:
                detail = ""
            raise ClientError(f"the platform refused ({error.code}): {detail}") from None
        except urllib.error.URLError as error:
            raise ClientError(f"cannot reach {self.server}: {error.reason}") from None


def _passphrase(args, confirm: bool = False) -> bytes:
    if args.passphrase_file:
        return Path(args.passphrase_file).read_text().strip().encode()
    if os.environ.get("JANGTEO_PASSPHRASE"):
        return os.environ["JANGTEO_PASSPHRASE"].encode()
    first = getpass.getpass("Passphrase for your key: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise ClientError("the passphrases differ")
    if len(first) < 10:
        raise ClientError("use a passphrase of at least 10 characters")
    return first.encode()
