"""Opening one envelope: decrypt it, check the bidder's signature and the bid's contents
against the tender, and say what it holds or why it is rejected."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from esign.authority import fingerprint
from esign.detached import DetachedSignatureError, detached_signer
from esign.models import Certificate, CertificateStatus
from esign.validation import certificate_check_at

from .envelope import EnvelopeError, bid_parse, contents_unpack, seal_info, unseal
from .models import Bid


@dataclass(frozen=True)
class Outcome:
    opened: bool
    amount: int | None = None
    reserve_picks: list | None = None
    documents: list | None = None
    signer: str = ""
    code: str = ""
    reason: str = ""


def _rejected(code: str, reason: str) -> Outcome:
    return Outcome(False, code=code, reason=reason)


class CertificateChecks:
    """The bidders' certificates for one opening: each one's record in the platform's
    register is read once, and its validity at a moment decided once for the moments up to
    it. A certificate trusted at a moment was trusted at every earlier moment of its
    validity (revocation only moves forward in time), so the runner, which opens the newest
    envelopes first, validates each certificate about once."""

    def __init__(self) -> None:
        self._trusted_until: dict[str, datetime] = {}
        self._records: dict[str, dict | None] = {}

    def read_for(self, organisation_ids) -> None:
        """Read the register's records of these companies' certificates in one query: a
        batch's signers are almost always among them (a signer of another company is
        rejected, and read on its own)."""
        rows = Certificate.objects.filter(organisation_id__in=organisation_ids).values(
            "fingerprint", "organisation_id", "status", "revoked_at"
        )
        for row in rows:
            self._records.setdefault(row.pop("fingerprint"), row)

    def _record(self, certificate: x509.Certificate) -> dict | None:
        key = fingerprint(certificate)
        if key not in self._records:
            self._records[key] = (
                Certificate.objects.filter(fingerprint=key)
                .values("organisation_id", "status", "revoked_at")
                .first()
            )
        return self._records[key]

    def trusted(self, certificate: x509.Certificate, at: datetime) -> str:
        """Empty when trusted at `at`, else the reason."""
        key = fingerprint(certificate)
        until = self._trusted_until.get(key)
        if until is not None and certificate.not_valid_before_utc <= at <= until:
            return ""
        record = self._record(certificate)
        revoked = (
            record is not None
            and record["status"] == CertificateStatus.REVOKED
            and record["revoked_at"] is not None
            and record["revoked_at"] <= at
        )
        check = certificate_check_at(certificate, at=at, revoked=revoked)
        if check.trusted:
            self._trusted_until[key] = max(until or at, at)
            return ""
        return check.reason

    def organisation_of(self, certificate: x509.Certificate) -> int | None:
        record = self._record(certificate)
        return record["organisation_id"] if record else None


def envelope_verify(bid: Bid, private_key, *, tender, checks: CertificateChecks) -> Outcome:
    """Open `bid` with the tender's private key and check everything a valid bid must be."""
    brn = bid.supplier.organisation.code
    try:
        plain = unseal(
            bytes(bid.sealed),
            private_key,
            seal_info(tender=tender.ocid, lot=bid.lot.number, supplier=brn),
        )
    except EnvelopeError:
        return _rejected(
            "unseal",
            _("The envelope does not open for this tender, lot and supplier (moved or damaged)."),
        )
    try:
        contents = contents_unpack(plain)
        parsed = bid_parse(contents.bid_json)
    except EnvelopeError as error:
        return _rejected(
            f"format_{error.code}", _("The bid does not follow the envelope format: %s") % error
        )
    if (parsed.tender, parsed.lot, parsed.supplier) != (tender.ocid, bid.lot.number, brn):
        return _rejected(
            "mismatch", _("The bid names another tender, lot or supplier than it was sent for.")
        )
    try:
        signer = detached_signer(contents.signature, contents.bid_json).certificate
    except DetachedSignatureError:
        return _rejected("signature", _("The bidder's signature over the bid does not hold."))
    if checks.organisation_of(signer) != bid.supplier.organisation_id:
        return _rejected(
            "signer", _("The bid is not signed with a certificate of the bidding company.")
        )
    if reason := checks.trusted(signer, bid.received_at):
        return _rejected(
            "signer_untrusted",
            _("The signing certificate was not valid when the bid arrived: %s") % reason,
        )
    if problem := _documents_check(parsed, contents.documents):
        return problem
    picks = list(parsed.reserve_picks)
    if reason := _picks_problem(picks, tender.terms):
        return _rejected("picks", reason)
    return Outcome(
        True,
        amount=parsed.amount,
        reserve_picks=picks,
        documents=_documents_store(tender, bid, parsed, contents.documents),
        signer=fingerprint(signer),
    )


def _documents_check(parsed, attached: dict[str, bytes]) -> Outcome | None:
    named = {doc.name: doc for doc in parsed.documents}
    if set(named) != set(attached):
        return _rejected(
            "documents", _("The attached documents are not the ones the signed bid lists.")
        )
    for name, content in attached.items():
        ref = named[name]
        if hashlib.sha256(content).hexdigest() != ref.sha256 or len(content) != ref.size:
            return _rejected(
                "documents",
                _("The document “%(name)s” is not the one the bid was signed with.")
                % {"name": name},
            )
    return None


def _picks_problem(picks: list[int], terms: dict) -> str:
    if not terms.get("uses_reserve_prices"):
        return _("This tender has no reserve prices to pick.") if picks else ""
    wanted, count = terms["reserve_price_picks"], terms["reserve_price_count"]
    if len(picks) != wanted or not all(1 <= pick <= count for pick in picks):
        return _("The bid must pick %(n)s different reserve prices, numbered 1 to %(count)s.") % {
            "n": wanted,
            "count": count,
        }
    return ""


def _documents_store(tender, bid: Bid, parsed, attached: dict[str, bytes]) -> list[dict]:
    stored = []
    for number, ref in enumerate(parsed.documents, start=1):
        # Stored under a name of the platform's, not the bidder's: a name bid.json allows
        # can still be one a file system refuses (too long in UTF-8, say), and that must not
        # stop the opening. The bidder's name stays with it.
        path = default_storage.save(
            f"bids/{tender.ocid}/{bid.pk}/{number}-{ref.sha256}", ContentFile(attached[ref.name])
        )
        stored.append({"name": ref.name, "sha256": ref.sha256, "size": ref.size, "path": path})
    return stored
