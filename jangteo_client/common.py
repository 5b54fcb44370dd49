"""What every command shares: the platform's API, errors the person can fix, passphrases."""

import getpass
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

IDENTITY = "identity.p12"


class ClientError(Exception):
    """Something the person can fix; printed without a traceback. `status`: the HTTP status
    the platform (or a gateway before it) answered; `unanswered`: no answer came at all."""

    def __init__(self, message: str, *, status: int | None = None, unanswered: bool = False):
        super().__init__(message)
        self.status, self.unanswered = status, unanswered


class Api:
    def __init__(self, server: str, token: str, *, anonymous: bool = False):
        if not server or not (token or anonymous):
            raise ClientError("give --server and --token (or JANGTEO_URL and JANGTEO_TOKEN)")
        if not server.startswith(("https://", "http://")):
            raise ClientError("the server address must start with https:// (or http://)")
        self.server, self.token = server.rstrip("/"), token

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        headers: dict | None = None,
        raw: bool = False,
    ):
        """JSON in, JSON out (`raw`: the response's bytes). `path` may be a full URL the
        platform gave out."""
        data = json.dumps(body).encode() if body is not None else None
        url = path if path.startswith(self.server) else f"{self.server}{path}"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=data,
            method=method,
            headers={
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
                "Accept": "application/json",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                content = response.read()
                return content if raw else json.loads(content or b"null")
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read())
            except ValueError:
                answer = {}
            answer = answer if isinstance(answer, dict) else {}
            code = f", {answer['code']}" if answer.get("code") else ""
            raise ClientError(
                f"the platform refused ({error.code}{code}): {answer.get('detail', '')}",
                status=error.code,
            ) from None
        except urllib.error.URLError as error:
            raise ClientError(
                f"cannot reach {self.server}: {error.reason}", unanswered=True
            ) from None


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


def detached_signature(key, certificate, content: bytes) -> bytes:
    """Detached CMS SignedData, DER, SHA-256, the signer's certificate embedded."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(certificate, key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
        )
    )


def _identity(args):
    path = Path(args.home) / IDENTITY
    if not path.exists():
        raise ClientError(f"no identity in {path}: run `jangteo-client enroll` first")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(
            path.read_bytes(), _passphrase(args)
        )
    except ValueError:
        raise ClientError("wrong passphrase, or the file is damaged") from None
    return key, certificate, chain
