"""Checking an opening from public data alone: what each envelope holds by the rules of
docs/bid-envelope.md (section 7), decided here without the platform's help, and where the
published results say otherwise.

Every rule is re-applied in the platform's order: unseal, format, mismatch, signature,
signer, signer_untrusted, documents, picks. The two rules about the signer's certificate
need the certificate authority's public material: for certificates of the platform's own CA
they are checked against its root, issuing certificate and CRL (the certificate must name
the bidding company, chain to the root, be within its validity and not be revoked at the
moment the envelope was received). Certificates of other trusted CAs are mapped to companies
by the platform's register, so for them these two rules are taken as published and said so.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from bidding import envelope
from bidding.envelope import EnvelopeError
from esign.detached import DetachedSignatureError, detached_signer

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")


@dataclass(frozen=True)
class Finding:
    """What an envelope holds by the public rules: opened with its amount and picks, or
    rejected with the rule's code. `note` names a rule that could not be checked here."""

    status: str
    code: str = ""
    amount: int | None = None
    picks: list | None = None
    note: str = ""


class PlatformTrust:
    """The platform CA's public material, checked once: the issuing certificate signed by
    the root, the CRL signed by the issuing CA."""

    def __init__(self, root_pem: bytes, issuing_pem: bytes, crl_der: bytes):
        self.root = x509.load_pem_x509_certificate(root_pem)
        self.issuing = x509.load_pem_x509_certificate(issuing_pem)
        self.issuing.verify_directly_issued_by(self.root)
        self.crl = x509.load_der_x509_crl(crl_der)
        if self.crl.issuer != self.issuing.subject or not self.crl.is_signature_valid(
            self.issuing.public_key()
        ):
            raise ValueError("the CRL is not the platform issuing CA's")

    def issued(self, certificate: x509.Certificate) -> bool:
        return certificate.issuer == self.issuing.subject

    def problem(self, certificate: x509.Certificate, *, at: datetime, brn: str) -> str:
        """'' when the certificate was the company's and valid at `at`; else the rule's code."""
        names = certificate.subject.get_attributes_for_oid(ORGANIZATION_IDENTIFIER)
        if [name.value for name in names] != [f"NTRKR-{brn}"]:
            return "signer"
        try:
            certificate.verify_directly_issued_by(self.issuing)
        except (InvalidSignature, ValueError, TypeError):
            return "signer_untrusted"
        if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
            return "signer_untrusted"
        revoked = self.crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if revoked is not None and revoked.revocation_date_utc <= at:
            return "signer_untrusted"
        return ""


def envelope_finding(
    sealed: bytes, *, ocid: str, lot: int, supplier: str, received_at: datetime,
    private_key, terms: dict, trust: PlatformTrust,
) -> Finding:  # fmt: skip
    """Open one envelope with the published private key and apply every rule to it."""
    info = envelope.seal_info(tender=ocid, lot=lot, supplier=supplier)
    try:
        plain = envelope.unseal(sealed, private_key, info)
    except EnvelopeError:
        return Finding("rejected", "unseal")
    try:
        contents = envelope.contents_unpack(plain)
        bid = envelope.bid_parse(contents.bid_json)
    except EnvelopeError as error:
        return Finding("rejected", f"format_{error.code}")
    if (bid.tender, bid.lot, bid.supplier) != (ocid, lot, supplier):
        return Finding("rejected", "mismatch")
    try:
        signer = detached_signer(contents.signature, contents.bid_json).certificate
    except DetachedSignatureError:
        return Finding("rejected", "signature")
    note = ""
    if trust.issued(signer):
        if code := trust.problem(signer, at=received_at, brn=supplier):
            return Finding("rejected", code)
    else:
        note = "signed with a certificate of another CA: its company and trust are as published"
    if _documents_differ(bid, contents.documents):
        return Finding("rejected", "documents", note=note)
    picks = list(bid.reserve_picks)
    if _picks_wrong(picks, terms):
        return Finding("rejected", "picks", note=note)
    return Finding("opened", amount=bid.amount, picks=picks, note=note)


def _documents_differ(bid, attached: dict[str, bytes]) -> bool:
    named = {doc.name: doc for doc in bid.documents}
    return set(named) != set(attached) or any(
        hashlib.sha256(content).hexdigest() != named[name].sha256
        or len(content) != named[name].size
        for name, content in attached.items()
    )


def _picks_wrong(picks: list[int], terms: dict) -> bool:
    if not terms.get("uses_reserve_prices"):
        return bool(picks)
    wanted, count = terms["reserve_price_picks"], terms["reserve_price_count"]
    return len(picks) != wanted or not all(1 <= pick <= count for pick in picks)


def finding_problems(finding: Finding, published: dict) -> list[str]:
    """Where the published result of this envelope differs from what it holds."""
    status, code = published["status"], published.get("rejection_code") or ""
    if finding.note and finding.status == "opened" and code in ("signer", "signer_untrusted"):
        return []  # rules about another CA's certificate: not decidable here
    if finding.status != status:
        said = f"rejected ({code})" if status == "rejected" else "opened"
        held = f"rejected ({finding.code})" if finding.status == "rejected" else "a valid bid"
        return [f"published as {said}, but by the rules it is {held}"]
    if status == "rejected" and finding.code != code:
        return [f"rejected as {code}, but the first rule it breaks is {finding.code}"]
    if status == "opened" and (finding.amount, finding.picks) != (
        published["amount"],
        published["reserve_picks"],
    ):
        return [
            f"the envelope holds {finding.amount} with picks {finding.picks}, "
            f"the results say {published['amount']} with {published['reserve_picks']}"
        ]
    return []
