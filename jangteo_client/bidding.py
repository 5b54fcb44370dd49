"""Bidding from the command line: sign and seal a bid here and submit it, withdraw it,
enter an opening share, and re-check a tender's published opening from public data.

The envelope is built with the platform's reference implementation of the format
(bidding.envelope, docs/bid-envelope.md); the bid's contents never leave this machine
unsealed.
"""

import base64
import json
import secrets
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from bidding import envelope
from bidding.envelope import EnvelopeError

from .common import Api, ClientError, _identity, detached_signature

RECEIPTS = "receipts"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _tender(api: Api, tender_id: int) -> dict:
    tender = api.call("GET", f"/api/v1/tenders/{tender_id}/")
    if not tender.get("sealing", {}).get("opening_public_key"):
        raise ClientError("this tender has no opening key: it is not published")
    return tender


def bid(args) -> int:
    """Sign and seal a bid for a lot, submit it, keep the receipt."""
    api = Api(args.server, args.token)
    tender = _tender(api, args.tender)
    key, certificate, _chain = _identity(args)
    documents = [(Path(path).name, Path(path).read_bytes()) for path in args.document or []]
    picks = sorted(int(p) for p in args.picks.split(",")) if args.picks else []
    try:
        bid_json = envelope.bid_json(
            tender=tender["ocid"],
            lot=args.lot,
            supplier=args.supplier,
            amount=args.amount,
            reserve_picks=picks,
            documents=documents,
        )
    except EnvelopeError as error:
        raise ClientError(f"the bid is not valid: {error}") from None
    contents = envelope.contents_pack(
        bid_json, detached_signature(key, certificate, bid_json), documents
    )
    public_key = X25519PublicKey.from_public_bytes(
        bytes.fromhex(tender["sealing"]["opening_public_key"])
    )
    sealed = envelope.seal(
        contents,
        public_key,
        envelope.seal_info(tender=tender["ocid"], lot=args.lot, supplier=args.supplier),
    )
    # One key per bid: if the answer is lost, running again with it returns the same receipt.
    idempotency_key = args.idempotency_key or secrets.token_urlsafe(24)
    answer = api.call(
        "POST",
        f"/api/v1/tenders/{args.tender}/lots/{args.lot}/bids",
        {"envelope": _b64(sealed), "signature": _b64(detached_signature(key, certificate, sealed))},
        headers={"Idempotency-Key": idempotency_key},
    )
    receipt = next(r for r in answer["receipts"] if r["kind"] == "bid")
    path = _receipt_keep(args, receipt)
    print(
        f"bid sealed and received at {receipt['receipt']['received_at']}\n"
        f"  receipt {receipt['number']} (kept in {path})\n"
        f"  envelope SHA-256 {answer['sha256']}\n"
        f"  Idempotency-Key {idempotency_key}"
    )
    return 0


def _receipt_keep(args, receipt: dict) -> Path:
    folder = Path(args.home) / RECEIPTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{receipt['number']}.json"
    path.write_text(json.dumps(receipt["bundle"], indent=2, ensure_ascii=False))
    return path


def withdraw(args) -> int:
    """Withdraw one of your sealed envelopes (before the deadline), with your signature."""
    api = Api(args.server, args.token)
    mine = api.call("GET", f"/api/v1/tenders/{args.tender}/my-bids/")
    target = next((b for b in mine if b["id"] == args.bid), None)
    if target is None:
        raise ClientError(f"bid {args.bid} is not one of yours for this tender")
    statement = envelope.withdrawal_statement(
        tender=target["tender"],
        lot=target["lot"],
        supplier=target["supplier"],
        envelope_sha256=target["sha256"],
    )
    key, certificate, _chain = _identity(args)
    receipt = api.call(
        "POST",
        f"/api/v1/bids/{args.bid}/withdrawal/",
        {
            "statement": _b64(statement),
            "signature": _b64(detached_signature(key, certificate, statement)),
        },
    )
    path = _receipt_keep(args, receipt)
    print(f"bid {args.bid} withdrawn; receipt {receipt['number']} (kept in {path})")
    return 0


def opening_share(args) -> int:
    """Enter your share of a tender's opening key (after the bid deadline)."""
    words = args.words or sys.stdin.readline()
    answer = Api(args.server, args.token).call(
        "POST", f"/api/v1/tenders/{args.tender}/opening/shares/", {"share": words.strip()}
    )
    print(
        f"share accepted: {answer['entered']} of {answer['needed']} needed"
        + ("; the key is rebuilt and the bids are being opened" if answer["key_rebuilt"] else "")
    )
    return 0


def add_commands(commands) -> dict:
    command = commands.add_parser("bid", help="sign, seal and submit a bid for a lot")
    command.add_argument("tender", type=int, help="the tender's id (as in its address)")
    command.add_argument("--lot", type=int, default=1)
    command.add_argument("--supplier", required=True, help="your company's business number")
    command.add_argument("--amount", type=int, required=True, help="whole won")
    command.add_argument("--picks", help="reserve price numbers, e.g. 3,11")
    command.add_argument("--document", action="append", help="a file to attach (repeatable)")
    command.add_argument("--idempotency-key", help="to retry a submission whose answer was lost")
    command = commands.add_parser("withdraw", help="withdraw one of your sealed bids")
    command.add_argument("tender", type=int)
    command.add_argument("bid", type=int, help="the bid's id (jangteo-client bids)")
    command = commands.add_parser("opening-share", help="opening officers: enter your share")
    command.add_argument("tender", type=int)
    command.add_argument("--words", help="the share's words (default: read a line from stdin)")
    return {"bid": bid, "withdraw": withdraw, "opening-share": opening_share}
