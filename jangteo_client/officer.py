"""Opening officers' commands: the share-receiving key, and their shares of tenders'
opening keys (sealed to that key by the platform at each tender's publication)."""

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bidding.opening_key import OpeningKeyError, share_unseal

from .common import Api, ClientError, _passphrase

RECEIVING_KEY = "receiving-key.pem"


def receiving_key(args) -> int:
    """A new X25519 key pair for receiving opening shares: the private key is kept here,
    encrypted; only the public key is registered."""
    home = Path(args.home)
    path = home / RECEIVING_KEY
    if path.exists() and not args.replace:
        raise ClientError(
            f"{path} exists already; --replace makes a new one (shares already sealed to the "
            "old key still need the old file: keep a copy)"
        )
    home.mkdir(parents=True, exist_ok=True)
    key = X25519PrivateKey.generate()
    pending = path.with_suffix(".new")
    pending.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_passphrase(args, confirm=True)),
        )
    )
    os.chmod(pending, 0o600)
    registered = Api(args.server, args.token).call(
        "POST",
        "/api/v1/opening/receiving-key/",
        {"public_key": key.public_key().public_bytes_raw().hex()},
    )
    if path.exists():
        path.replace(path.with_suffix(".old.pem"))
    pending.replace(path)  # only a registered key becomes the one in use
    print(f"share-receiving key {registered['fingerprint'][:16]}… registered; kept in {path}")
    return 0


def _receiving_private_key(args) -> X25519PrivateKey:
    path = Path(args.receiving_key or Path(args.home) / RECEIVING_KEY)
    if not path.exists():
        raise ClientError(f"no receiving key at {path}: run `jangteo-client receiving-key`")
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, None)
    except TypeError:  # encrypted, as the client writes it
        try:
            key = serialization.load_pem_private_key(data, _passphrase(args))
        except ValueError:
            raise ClientError("wrong passphrase, or the key file is damaged") from None
    except ValueError:
        raise ClientError(f"{path} is not a PEM private key") from None
    if not isinstance(key, X25519PrivateKey):
        raise ClientError(f"{path} is not an X25519 key")
    return key


# Shares that ask nothing more of their officer, and what is said of each instead of its words.
DONE = {
    "opened": lambda item: f"opened {item['opened_at']}: your share is needed no more",
    "cancelled": lambda item: "the tender was cancelled: nothing to open",
    "entered": lambda item: f"entered {item['entered_at']}: waiting for the other officers",
}


def opening_shares(args) -> int:
    """Show your shares that are still sealed on the platform; with --confirm TENDER, tell
    the platform you have that tender's share written down, so it drops its copy."""
    api = Api(args.server, args.token)
    items = api.call("GET", "/api/v1/opening/shares/")
    if not items:
        print("no opening shares")
        return 0
    key = None
    for item in items:
        head = (
            f"{item['ocid']}  {item['title']}\n  share {item['member_index'] + 1} of "
            f"{item['shares']}, {item['threshold']} needed; bids close {item['bid_close_at']}"
        )
        standing = item.get("standing")
        if standing in DONE:
            print(f"{head}\n  {DONE[standing](item)}\n")
            continue
        if standing == "due":
            head += (
                f"\n  the deadline has passed: enter your share with "
                f'jangteo-client opening-share {item["tender"]} --words "..."'
            )
        if item["sealed_share"] is None:
            print(f"{head}\n  received {item['received_at']} (the platform keeps no copy)\n")
            continue
        key = key or _receiving_private_key(args)
        fingerprint = hashlib.sha256(key.public_key().public_bytes_raw()).hexdigest()
        if fingerprint != item["receiving_key"]:
            print(f"{head}\n  sealed to another receiving key ({item['receiving_key'][:16]}…)\n")
            continue
        try:
            words = share_unseal(
                base64.b64decode(item["sealed_share"]),
                key,
                tender=item["ocid"],
                officer=item["officer"],
            )
        except OpeningKeyError:
            raise ClientError(f"the share of {item['ocid']} does not open with this key") from None
        print(f"{head}\n  {words}\n")
    if args.confirm:
        item = next((i for i in items if i["ocid"] == args.confirm), None)
        if item is None:
            raise ClientError(f"you hold no share of {args.confirm}")
        api.call("POST", f"/api/v1/opening/shares/{item['tender']}/received/", {})
        print(f"receipt of the share of {args.confirm} confirmed: yours is now the only copy")
    return 0


def add_commands(commands) -> dict:
    command = commands.add_parser(
        "receiving-key", help="opening officers: make and register your share-receiving key"
    )
    command.add_argument("--replace", action="store_true", help="replace your current key")
    command = commands.add_parser(
        "opening-shares", help="opening officers: show your shares of tenders' opening keys"
    )
    command.add_argument(
        "--receiving-key", help=f"the receiving key file (default: HOME/{RECEIVING_KEY})"
    )
    command.add_argument(
        "--confirm", metavar="OCID", help="confirm you have this tender's share written down"
    )
    return {"receiving-key": receiving_key, "opening-shares": opening_shares}
