"""jangteo-client verify-opening: re-open every envelope of a tender with its published
private key, apply every rule of the opening to it (jangteo_client.opening_check), and
compare with the published results. Needs no account: everything it reads is public."""

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from core.audit_chain import verify_chain
from esign.detached import DetachedSignatureError, detached_signer

from .common import Api, ClientError
from .opening_check import PlatformTrust, envelope_finding, finding_problems

# fetch(path_or_url, raw) -> parsed JSON, or the bytes when raw
Fetch = Callable[[str, bool], object]


@dataclass
class Report:
    ocid: str = ""
    root_fingerprint: str = ""
    envelopes: int = 0
    opened: int = 0
    rejected: int = 0
    other_ca: int = 0
    problems: list[str] = field(default_factory=list)


def opening_report(fetch: Fetch, tender_id: int, *, root: bytes | None = None) -> Report:
    """Everything public about the opening of `tender_id`, re-checked. `root` pins the
    platform's root CA; by default the one the platform serves is used (its fingerprint is
    in the report, to compare with one obtained another way)."""
    opening = fetch(f"/api/v1/tenders/{tender_id}/opening/", False)
    if opening["completed_at"] is None:
        raise ClientError("the opening of this tender is not complete yet")
    tender = fetch(f"/api/v1/tenders/{tender_id}/", False)
    root = root or fetch("/pki/root.pem", True)
    try:
        trust = PlatformTrust(
            root, fetch("/pki/issuing.pem", True), fetch("/pki/issuing.crl", True)
        )
    except ValueError as error:
        raise ClientError(f"the platform's CA material does not hold together: {error}") from error
    report = Report(
        ocid=opening["tender"],
        root_fingerprint=trust.root.fingerprint(hashes.SHA256()).hex(),
    )
    private_key = X25519PrivateKey.from_private_bytes(bytes.fromhex(opening["private_key"]))
    if private_key.public_key().public_bytes_raw().hex() != opening["public_key"]:
        report.problems.append("the published private key does not match the public key")
    if opening["public_key"] != tender["sealing"].get("opening_public_key"):
        report.problems.append("the opening key is not the one published with the notice")
    report.problems += _reserve_prices_check(opening, tender)
    envelopes = fetch(f"/api/v1/tenders/{tender_id}/envelopes/", False)
    results = {result["id"]: result for result in opening["results"]}
    for item in envelopes:
        sealed = fetch(item["envelope_url"], True)
        problems, other_ca = _envelope_check(item, sealed, private_key, tender, trust, results)
        report.other_ca += other_ca
        report.problems += [
            f"bid {item['id']} (lot {item['lot']}, {item['supplier']}): {problem}"
            for problem in problems
        ]
    if {item["id"] for item in envelopes} != set(results):
        report.problems.append("the envelopes published are not the bids in the results")
    log = fetch(f"/api/v1/tenders/{tender_id}/audit/?stream=sealed", False)
    report.problems += _receipted_check(log, envelopes)
    report.envelopes = len(envelopes)
    report.opened = sum(1 for r in results.values() if r["status"] == "opened")
    report.rejected = len(results) - report.opened
    return report


def _receipted_check(log: dict, envelopes: list[dict]) -> list[str]:
    """Whether the envelopes opened are exactly the ones the tender's sealed audit log, whose
    hash chain is checked first, says were received and still current at the deadline: for
    each lot and supplier the newest envelope receipted, unless it was withdrawn. A bid
    left out of the opening, or an older envelope opened in place of the newest, shows here."""
    head = log["head"]
    broken = verify_chain(log["stream"], log["events"], head["position"], head["hash"])
    if broken is not None:
        return [f"the tender's sealed audit log does not hold together: {broken}"]
    current: dict[tuple, str | None] = {}
    for event in log["events"]:
        data = event["data"]
        place = (data.get("lot"), data.get("supplier"))
        if event["kind"] == "bid.submitted":
            current[place] = data["envelope_sha256"]
        elif event["kind"] == "bid.withdrawn" and current.get(place) == data["envelope_sha256"]:
            current[place] = None
    receipted = {(place, sha256) for place, sha256 in current.items() if sha256}
    opened = {((item["lot"], item["supplier"]), item["envelope_sha256"]) for item in envelopes}
    return [
        f"lot {lot}, {supplier}: the envelope {sha256} was receipted and is current by the "
        "sealed audit log, but was not opened"
        for (lot, supplier), sha256 in sorted(receipted - opened)
    ] + [
        f"lot {lot}, {supplier}: the envelope {sha256} was opened, but by the sealed audit log "
        "it is not that supplier's current envelope"
        for (lot, supplier), sha256 in sorted(opened - receipted)
    ]


def _reserve_prices_check(opening: dict, tender: dict) -> list[str]:
    problems = []
    committed = tender["sealing"].get("reserve_price_commitments", {})
    for lot in opening["reserve_prices"]:
        plaintext = base64.b64decode(lot["revealed"])
        if committed.get(str(lot["lot"])) != lot["commitment"]:
            problems.append(f"lot {lot['lot']}: the commitment is not the one in the notice")
        if hashlib.sha256(plaintext).hexdigest() != lot["commitment"]:
            problems.append(f"lot {lot['lot']}: reserve prices do not match their commitment")
        elif json.loads(plaintext)["prices"] != lot["prices"]:
            problems.append(f"lot {lot['lot']}: published prices differ from the committed ones")
    return problems


def _envelope_check(item, sealed, private_key, tender, trust, results) -> tuple[list[str], int]:
    """(problems, 1 if its signer's certificate is another CA's, else 0) for one envelope."""
    if hashlib.sha256(sealed).hexdigest() != item["envelope_sha256"]:
        return ["the envelope's bytes are not the ones received"], 0
    try:
        detached_signer(base64.b64decode(item["outer_signature"]), sealed)
    except DetachedSignatureError as error:
        return [f"the submitter's signature over the envelope does not hold: {error}"], 0
    published = results.get(item["id"])
    if published is None:
        return ["not in the published results"], 0
    finding = envelope_finding(
        sealed, ocid=tender["ocid"], lot=item["lot"], supplier=item["supplier"],
        received_at=datetime.fromisoformat(item["received_at"]),
        private_key=private_key, terms=tender["terms"], trust=trust,
    )  # fmt: skip
    return finding_problems(finding, published), int(bool(finding.note))


def verify_opening(args) -> int:
    api = Api(args.server, args.token, anonymous=True)
    root = Path(args.root).read_bytes() if args.root else None
    report = opening_report(
        lambda path, raw: api.call("GET", path, raw=raw), args.tender, root=root
    )
    print(
        f"platform root CA SHA-256 {report.root_fingerprint}"
        + ("" if args.root else " (as served by the platform)")
    )
    for problem in report.problems:
        print(f"MISMATCH {problem}")
    print(
        f"{report.ocid}: {report.envelopes} envelopes re-opened and every rule applied, "
        f"{report.opened} opened and {report.rejected} rejected as published; "
        + ("everything agrees" if not report.problems else f"{len(report.problems)} problems")
    )
    if report.other_ca:
        print(
            f"note: {report.other_ca} bids are signed with certificates of other CAs: which "
            "company they belong to and their trust at receipt are as the platform published"
        )
    return 0 if not report.problems else 1


def add_commands(commands) -> dict:
    command = commands.add_parser(
        "verify-opening", help="re-open a tender's envelopes from public data and check them"
    )
    command.add_argument("tender", type=int)
    command.add_argument(
        "--root", help="the platform's root CA certificate (PEM), obtained independently"
    )
    return {"verify-opening": verify_opening}
