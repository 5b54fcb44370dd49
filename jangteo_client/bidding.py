"""Bidding from the command line: sign and seal a bid here and submit it, list your bids and
their receipts, withdraw a bid, enter an opening share, and re-check a tender's published
opening from public data.

The envelope is built with the platform's reference implementation of the format
(bidding.envelope, docs/bid-envelope.md); the bid's contents never leave this machine
unsealed.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bidding import envelope
from bidding.envelope import EnvelopeError

from .common import Api, ClientError, _identity, detached_signature

RECEIPTS = "receipts"
# Every submission as it was sent, under its Idempotency-Key: the platform answers a key it
# knows with the first receipt only for the very same request, and sealing is randomised, so
# a bid sealed anew under the same key would be refused (idempotency_conflict), not matched.
OUTBOX = "outbox"
# A submission sent just before the deadline may need asking again after it.
OUTBOX_KEPT_AFTER_DEADLINE = timedelta(days=7)
# Answers that may hide a request the platform stored: a gateway's, not the platform's.
LOST_ANSWER_STATUSES = {502, 503, 504}
RETRY_PAUSES = (1, 2, 4)  # seconds; a few retries within a deadline's last minute


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _tender(api: Api, tender_id: int) -> dict:
    tender = api.call("GET", f"/api/v1/tenders/{tender_id}/")
    if not tender.get("sealing", {}).get("opening_public_key"):
        raise ClientError("this tender has no opening key: it is not published")
    return tender


def _answer_lost(error: Exception) -> bool:
    """Whether the request may have reached the platform while its answer did not come back."""
    if isinstance(error, ClientError):
        return error.unanswered or error.status in LOST_ANSWER_STATUSES
    return True  # the connection broke or timed out while the answer was awaited


def _post_until_answered(api: Api, path: str, body: dict, *, headers=None, again: str) -> dict:
    """POST the same request again while its answer is lost (the platform answers a repeat
    with what it answered first); `again` tells the person what to do if it never comes."""
    for pause in (*RETRY_PAUSES, None):
        try:
            return api.call("POST", path, body, headers=headers)
        except (ClientError, OSError, http.client.HTTPException) as error:
            if not _answer_lost(error):
                raise
            why = str(error) or type(error).__name__
            if pause is None:
                raise ClientError(f"no answer ({why}). {again}") from None
            print(
                f"jangteo-client: no answer ({why}); sending the same request again in {pause} s",
                file=sys.stderr,
            )
            time.sleep(pause)


def _terms_check(key, terms: dict) -> str:
    """A MAC of a bid's terms under a key derived from the signing key: it tells a retry of
    the same bid from another bid under a reused Idempotency-Key, and shows whoever reads the
    outbox nothing of the amount (a plain hash of one falls to trying every likely amount)."""
    secret = HKDF(hashes.SHA256(), 32, salt=None, info=b"jangteo-client outbox terms").derive(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return hmac.new(secret, json.dumps(terms, sort_keys=True).encode(), "sha256").hexdigest()


def _outbox_entry(args, idempotency_key: str) -> Path:
    name = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return Path(args.home) / OUTBOX / f"{name}.json"


def _outbox_keep(entry: Path, sent: dict, sealed: bytes) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.with_suffix(".sealed").write_bytes(sealed)
    # The entry appears whole or not at all, after its envelope: a crash leaves no half.
    partial = entry.with_suffix(".partial")
    partial.write_text(json.dumps(sent, indent=2))
    os.replace(partial, entry)


def _outbox_prune(folder: Path) -> None:
    now = datetime.now(UTC)
    for entry in folder.glob("*.json"):
        if datetime.fromisoformat(json.loads(entry.read_text())["keep_until"]) < now:
            entry.with_suffix(".sealed").unlink(missing_ok=True)
            entry.unlink()


def _sealed_bid(args, tender: dict, key, certificate, documents, picks) -> tuple[bytes, bytes]:
    """(sealed envelope, your signature over it)."""
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
    return sealed, detached_signature(key, certificate, sealed)


def bid(args) -> int:
    """Sign and seal a bid for a lot, submit it, keep the receipt."""
    api = Api(args.server, args.token)
    key, certificate, _chain = _identity(args)
    documents = [(Path(path).name, Path(path).read_bytes()) for path in args.document or []]
    picks = sorted(int(p) for p in args.picks.split(",")) if args.picks else []
    terms = _terms_check(
        key,
        {
            "tender": args.tender,
            "lot": args.lot,
            "supplier": args.supplier,
            "amount": args.amount,
            "picks": picks,
            "documents": [[name, hashlib.sha256(data).hexdigest()] for name, data in documents],
        },
    )
    # One key per bid: a retry under it, here or by running again, is answered with the
    # first receipt, never with a second bid.
    idempotency_key = args.idempotency_key or secrets.token_urlsafe(24)
    entry = _outbox_entry(args, idempotency_key)
    if entry.exists():
        sent = json.loads(entry.read_text())
        if sent["terms"] != terms:
            raise ClientError(
                f"the Idempotency-Key {idempotency_key} was used for another bid (other "
                "terms, or another key): give a new one, or none"
            )
        sealed = entry.with_suffix(".sealed").read_bytes()
        print("jangteo-client: sending the envelope sealed under this key again", file=sys.stderr)
    else:
        _outbox_prune(entry.parent)
        tender = _tender(api, args.tender)
        sealed, signature = _sealed_bid(args, tender, key, certificate, documents, picks)
        sent = {
            "idempotency_key": idempotency_key,
            "terms": terms,
            "signature": _b64(signature),
            "keep_until": (
                datetime.fromisoformat(tender["bid_close_at"]) + OUTBOX_KEPT_AFTER_DEADLINE
            ).isoformat(),
        }
        _outbox_keep(entry, sent, sealed)
    again = (
        f"Run the same command again with --idempotency-key {idempotency_key}: if the platform "
        "received the bid you get its receipt, never a second bid."
    )
    print(f"jangteo-client: Idempotency-Key {idempotency_key}", file=sys.stderr)
    answer = _post_until_answered(
        api,
        f"/api/v1/tenders/{args.tender}/lots/{args.lot}/bids",
        {"envelope": _b64(sealed), "signature": sent["signature"]},
        headers={"Idempotency-Key": idempotency_key},
        again=again,
    )
    receipt = next(r for r in answer["receipts"] if r["kind"] == "bid")
    path = _receipt_keep(args, receipt)
    since = "" if answer["status"] == "sealed" else f" (now {answer['status']})"
    print(
        f"bid {answer['id']} sealed and received at {receipt['receipt']['received_at']}{since}\n"
        f"  receipt {receipt['number']} (kept in {path})\n"
        f"  envelope SHA-256 {answer['sha256']}\n"
        f"  Idempotency-Key {idempotency_key}"
    )
    return 0


def _receipt_keep(args, receipt: dict) -> Path:
    folder = Path(args.home) / RECEIPTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{receipt['number']}.json"
    # As the platform's download writes it (GET /api/v1/receipts/<number>/).
    path.write_text(json.dumps(receipt["bundle"], indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def bids(args) -> int:
    """Your companies' envelopes for a tender, newest first, each with its receipts."""
    mine = Api(args.server, args.token).call("GET", f"/api/v1/tenders/{args.tender}/my-bids/")
    if not mine:
        print("no bids of your companies for this tender")
    for item in mine:
        print(
            f"bid {item['id']}  lot {item['lot']}  supplier {item['supplier']}  "
            f"{item['status']:<10}  received {item['received_at']}"
        )
        for receipt in item["receipts"]:
            body = receipt["receipt"]
            line = f"    {receipt['kind']:<10} receipt {receipt['number']}"
            if body.get("replaces"):
                line += f"  replaces {body['replaces']}"
            if body.get("withdraws"):
                line += f"  withdraws {body['withdraws']}"
            if args.save_receipts:
                line += f"  kept in {_receipt_keep(args, receipt)}"
            print(line)
    return 0


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
    # No Idempotency-Key here: the statement names the envelope, and the platform answers
    # the same statement again with the first withdrawal receipt.
    receipt = _post_until_answered(
        api,
        f"/api/v1/bids/{args.bid}/withdrawal/",
        {
            "statement": _b64(statement),
            "signature": _b64(detached_signature(key, certificate, statement)),
        },
        again="Run the same withdraw again: a withdrawn bid is answered with its receipt.",
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
    command.add_argument(
        "--idempotency-key",
        help="the key a submission whose answer was lost was sent with (printed when sent): "
        "sends that same envelope again and gets its receipt, never a second bid",
    )
    command = commands.add_parser("bids", help="your bids for a tender, with their receipts")
    command.add_argument("tender", type=int)
    command.add_argument(
        "--save-receipts", action="store_true", help=f"keep every receipt under <home>/{RECEIPTS}"
    )
    command = commands.add_parser("withdraw", help="withdraw one of your sealed bids")
    command.add_argument("tender", type=int)
    command.add_argument("bid", type=int, help="the bid's id (jangteo-client bids)")
    command = commands.add_parser("opening-share", help="opening officers: enter your share")
    command.add_argument("tender", type=int)
    command.add_argument("--words", help="the share's words (default: read a line from stdin)")
    return {"bid": bid, "bids": bids, "withdraw": withdraw, "opening-share": opening_share}
