"""Command line of jangteo-client. Run `jangteo-client --help`."""

import argparse
import base64
import getpass
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from . import bidding, officer, verify
from .common import IDENTITY, Api, ClientError, _identity, _passphrase, detached_signature

PENDING_KEY = "pending-key.pem"
REQUEST = "request.csr"


def keygen(args) -> int:
    """A new P-256 key (kept encrypted until the certificate comes) and its request."""
    home = Path(args.home)
    home.mkdir(parents=True, exist_ok=True)
    passphrase = _passphrase(args, confirm=True)
    key = ec.generate_private_key(ec.SECP256R1())
    (home / PENDING_KEY).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
    )
    os.chmod(home / PENDING_KEY, 0o600)
    # The platform writes the subject itself from your account; this name is only a label.
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jangteo-client")]))
        .sign(key, hashes.SHA256())
    )
    (home / REQUEST).write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    print(f"key and request written to {home}")
    return 0


def enroll(args) -> int:
    """Send the request, receive the certificate, and store key + chain as PKCS#12."""
    home = Path(args.home)
    if (home / IDENTITY).exists():
        # Never overwrite a key whose certificate may still be in use.
        raise ClientError(
            f"{home / IDENTITY} exists already: use another --home for another "
            "identity, or revoke that certificate and move the file away"
        )
    if not (home / REQUEST).exists():
        keygen(args)
    passphrase = _passphrase(args)
    key = serialization.load_pem_private_key((home / PENDING_KEY).read_bytes(), passphrase)
    issued = Api(args.server, args.token).call(
        "POST",
        "/api/v1/certificates/",
        {"organisation": args.organisation, "csr": (home / REQUEST).read_text()},
    )
    _store_identity(home, key, issued, passphrase)
    (home / PENDING_KEY).unlink()
    (home / REQUEST).unlink()
    print(
        f"certificate {issued['serial']} issued until {issued['not_after']}; "
        f"kept in {home / IDENTITY}"
    )
    return 0


def import_p12(args) -> int:
    """Register a certificate another (trusted) CA issued you, from its PKCS#12: the key
    signs the platform's challenge here; only the signature and certificate are sent."""
    home = Path(args.home)
    if (home / IDENTITY).exists():
        raise ClientError(f"{home / IDENTITY} exists already: use another --home")
    source = Path(args.file)
    if args.p12_passphrase_file:
        p12_passphrase = Path(args.p12_passphrase_file).read_text().strip().encode()
    elif os.environ.get("JANGTEO_P12_PASSPHRASE"):
        p12_passphrase = os.environ["JANGTEO_P12_PASSPHRASE"].encode()
    else:
        p12_passphrase = getpass.getpass(f"Password of {source.name}: ").encode()
    try:
        key, certificate, _chain = pkcs12.load_key_and_certificates(
            source.read_bytes(), p12_passphrase or None
        )
    except (OSError, ValueError):
        raise ClientError(f"cannot open {source}: wrong password, or not a PKCS#12") from None
    if key is None or certificate is None:
        raise ClientError(f"{source} holds no key with its certificate")
    api = Api(args.server, args.token)
    challenge = api.call(
        "POST", "/api/v1/certificates/challenge/", {"organisation": args.organisation}
    )["challenge"]
    signature = detached_signature(key, certificate, challenge.encode())
    registered = api.call(
        "POST",
        "/api/v1/certificates/external/",
        {
            "organisation": args.organisation,
            "challenge": challenge,
            "signature": base64.b64encode(signature).decode(),
        },
    )
    home.mkdir(parents=True, exist_ok=True)
    _store_identity(home, key, registered, _passphrase(args, confirm=True))
    print(
        f"certificate {registered['serial']} registered until {registered['not_after']}; "
        f"kept in {home / IDENTITY}"
    )
    return 0


def _store_identity(home: Path, key, issued: dict, passphrase: bytes) -> None:
    certificate = x509.load_pem_x509_certificate(issued["certificate"].encode())
    if certificate.public_key().public_numbers() != key.public_key().public_numbers():
        raise ClientError("the certificate does not belong to this key")
    chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in issued["chain"]]
    (home / IDENTITY).write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"jangteo", key, certificate, chain, serialization.BestAvailableEncryption(passphrase)
        )
    )
    os.chmod(home / IDENTITY, 0o600)


def sign(args) -> int:
    """A detached CMS signature (DER, SHA-256, certificate embedded) of a file."""
    key, certificate, _chain = _identity(args)
    signature = detached_signature(key, certificate, Path(args.file).read_bytes())
    out = Path(args.out or f"{args.file}.p7s")
    out.write_bytes(signature)
    print(f"signature written to {out}")
    return 0


def certificates(args) -> int:
    for item in Api(args.server, args.token).call("GET", "/api/v1/certificates/"):
        print(
            f"{item['serial']}  {item['status']:<8} until {item['not_after']}  "
            f"{item['organisation']}"
        )
    return 0


def revoke(args) -> int:
    item = Api(args.server, args.token).call(
        "POST", f"/api/v1/certificates/{args.serial}/revoke/", {"reason": args.reason}
    )
    print(f"{item['serial']} is {item['status']}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="jangteo-client",
        description="Key, certificate and signatures for the Jangteo platform. The private "
        "key is made and kept here, encrypted; only the request leaves this machine.",
    )
    root.add_argument(
        "--server",
        default=os.environ.get("JANGTEO_URL", ""),
        help="the platform's address (or JANGTEO_URL)",
    )
    root.add_argument(
        "--token",
        default=os.environ.get("JANGTEO_TOKEN", ""),
        help="your API token (or JANGTEO_TOKEN)",
    )
    root.add_argument(
        "--home",
        default=os.environ.get("JANGTEO_HOME", str(Path.home() / ".jangteo")),
        help="where your key is kept",
    )
    root.add_argument(
        "--passphrase-file", help="read the key's passphrase from this file (or JANGTEO_PASSPHRASE)"
    )
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("keygen", help="make a key pair and a certificate request")
    command = commands.add_parser("enroll", help="get a certificate for your key")
    command.add_argument(
        "--organisation", required=True, help="the registration number of your organisation"
    )
    command = commands.add_parser(
        "import", help="register a certificate of another trusted CA (from its PKCS#12)"
    )
    command.add_argument("file", help="the PKCS#12 (.p12/.pfx) your CA gave you")
    command.add_argument(
        "--organisation", required=True, help="the registration number of your organisation"
    )
    command.add_argument(
        "--p12-passphrase-file",
        help="read the PKCS#12's password from this file (or JANGTEO_P12_PASSPHRASE)",
    )
    command = commands.add_parser("sign", help="sign a file (detached CMS)")
    command.add_argument("file")
    command.add_argument("--out")
    commands.add_parser("certificates", help="list your certificates")
    command = commands.add_parser("revoke", help="revoke one of your certificates")
    command.add_argument("serial")
    command.add_argument(
        "--reason",
        default="unspecified",
        choices=[
            "unspecified",
            "key_compromise",
            "affiliation_changed",
            "superseded",
            "cessation_of_operation",
            "privilege_withdrawn",
        ],
    )
    root.set_defaults(
        extra={
            **officer.add_commands(commands),
            **bidding.add_commands(commands),
            **verify.add_commands(commands),
        }
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return {
            "keygen": keygen,
            "enroll": enroll,
            "import": import_p12,
            "sign": sign,
            "certificates": certificates,
            "revoke": revoke,
            **args.extra,
        }[args.command](args)
    except ClientError as error:
        print(f"jangteo-client: {error}", file=sys.stderr)
        return 2
    except EOFError:
        print(
            "jangteo-client: no passphrase given (no terminal to ask on: use the environment "
            "variable or --passphrase-file)",
            file=sys.stderr,
        )
        return 2
