"""RFC 3161 time stamps: the platform's own time-stamping authority, or an external one.

`timestamp_token(digest)` is what the rest of the platform calls (bid receipts); it asks the
external TSA at `JANGTEO_TSA_URL` when one is set, the platform's own TSA otherwise.
`timestamp_respond(query)` is the platform TSA answering an RFC 3161 query (served over HTTP
at /pki/tsa). `timestamp_verify(token, digest)` checks a token against the trusted roots.
"""

import functools
import hashlib
import secrets
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings
from django.utils.translation import gettext as _

from core import clock

from .authority import LoadedAuthority, authority_load
from .der import (
    EXPLICIT_0,
    IMPLICIT_0_SET,
    OCTET_STRING,
    SEQUENCE,
    SET,
    der,
    generalized_time,
    integer,
)
from .models import AuthorityRole
from .signed_data import (
    MESSAGE_DIGEST,
    SIGNED_DATA_TYPE,
    SigningKeyMismatch,
    attribute,
    digest_algorithm,
    signer_info,
)

# The platform's TSA policy: an OID of our own under the UUID arc (ITU-T X.667, 2.25).
TSA_POLICY = f"2.25.{uuid.UUID('8c1d4e8a-1f0e-4f55-9a52-6a2f3e0b7d21').int}"
HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
CRYPTOGRAPHY_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TimestampError(Exception):
    """The TSA could not be reached or refused."""


@dataclass(frozen=True)
class TimestampCheck:
    valid: bool
    reason: str = ""
    gen_time: datetime | None = None
    serial: int | None = None


class TimestampRejection(core.Sequence):
    """A TimeStampResp without a token. RFC 3161 makes the token optional; asn1crypto's
    TimeStampResp does not, so rejections use this two-field shape of the same structure."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(fail_info: str, text: str) -> bytes:
    return TimestampRejection(
        {
            "status": {
                "status": "rejection",
                "status_string": [text],
                "fail_info": tsp.PKIFailureInfo({fail_info}),
            }
        }
    ).dump()


def timestamp_respond(query: bytes) -> bytes:
    """Answer an RFC 3161 TimeStampReq (DER) with a TimeStampResp (DER)."""
    try:
        request = tsp.TimeStampReq.load(query)
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = request["message_imprint"]["hashed_message"].native
        nonce = request["nonce"].native
        include_certificate = bool(request["cert_req"].native)
    except (ValueError, TypeError, KeyError):
        return _rejection("bad_data_format", "not a TimeStampReq")
    if algorithm not in HASHES or len(digest) != HASHES[algorithm]().digest_size:
        return _rejection("bad_alg", "use SHA-256, SHA-384 or SHA-512")
    token = cms.ContentInfo.load(_sign(algorithm, digest, nonce, include_certificate))
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


@dataclass(frozen=True)
class _TsaParts:
    """The DER of everything in a token that does not change from one token to the next,
    encoded once per TSA certificate. Building a token from parsed asn1crypto objects cost
    ~2 ms, a bid receipt needs one: per token only the TSTInfo, the signed attributes and
    the signature are assembled, into the same bytes asn1crypto's encoding gave (checked
    over 300 tokens of every shape when this replaced it)."""

    info_head: bytes  # version, policy
    info_tail: bytes  # accuracy (then the nonce, if any, and the TSA's name)
    tsa_name: bytes  # [0] EXPLICIT GeneralName
    attributes_head: bytes  # the content-type attribute
    signing_certificate: bytes  # the ESS signing-certificate-v2 attribute
    signer_head: bytes  # SignerInfo: version, sid, digest algorithm
    signer_tail: bytes  # SignerInfo: signature algorithm
    certificates: bytes  # [0] IMPLICIT CertificateSet
    ecdsa: bool  # the TSA's key is an EC key (else RSA)


@functools.lru_cache(maxsize=4)
def _tsa_parts(tsa_certificate: x509.Certificate) -> _TsaParts:
    certificate_der = tsa_certificate.public_bytes(serialization.Encoding.DER)
    certificate = asn1_x509.Certificate.load(certificate_der)
    ecdsa = certificate.public_key.algorithm == "ec"
    signing_certificate = cms.CMSAttribute(
        {
            "type": "signing_certificate_v2",
            "values": [
                {
                    "certs": [
                        {
                            "hash_algorithm": {"algorithm": "sha256"},
                            "cert_hash": hashlib.sha256(certificate_der).digest(),
                            "issuer_serial": {
                                "issuer": [
                                    asn1_x509.GeneralName(
                                        name="directory_name", value=certificate.issuer
                                    )
                                ],
                                "serial_number": certificate.serial_number,
                            },
                        }
                    ]
                }
            ],
        }
    ).dump()
    sid = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value={"issuer": certificate.issuer, "serial_number": certificate.serial_number},
    ).dump()
    return _TsaParts(
        info_head=core.Integer(1).dump() + core.ObjectIdentifier(TSA_POLICY).dump(),
        info_tail=tsp.Accuracy({"seconds": 1}).dump(),
        tsa_name=der(
            EXPLICIT_0,
            asn1_x509.GeneralName(name="directory_name", value=certificate.subject).dump(),
        ),
        attributes_head=cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump(),
        signing_certificate=signing_certificate,
        signer_head=core.Integer(1).dump() + sid + digest_algorithm("sha256"),
        signer_tail=algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa" if ecdsa else "sha256_rsa"}
        ).dump(),
        certificates=der(IMPLICIT_0_SET, certificate_der),
        ecdsa=ecdsa,
    )


TST_INFO_TYPE = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()  # id-ct-TSTInfo
SIGNED_DATA_VERSION = integer(3)


def _sign(
    algorithm: str,
    digest: bytes,
    nonce: int | None,
    include_certificate: bool,
    tsa: LoadedAuthority | None = None,
    at: datetime | None = None,
) -> bytes:
    """A time-stamp token (ContentInfo, DER) over `digest`, signed by the platform's TSA
    (`tsa`, or the current one read from the database) at `at` (default: the clock now)."""
    tsa = tsa or authority_load(AuthorityRole.TSA)
    parts = _tsa_parts(tsa.certificate)
    tst_info = der(
        SEQUENCE,
        parts.info_head
        + der(SEQUENCE, digest_algorithm(algorithm) + der(OCTET_STRING, digest))
        # Random 128-bit serials: unique without a shared counter on the hot path.
        + integer(secrets.randbits(127))
        + generalized_time(at or clock.now())
        + parts.info_tail
        + (integer(nonce) if nonce is not None else b"")
        + parts.tsa_name,
    )
    try:
        signed = signer_info(
            head=parts.signer_head,
            tail=parts.signer_tail,
            attributes=(
                parts.attributes_head,
                attribute(MESSAGE_DIGEST, der(OCTET_STRING, hashlib.sha256(tst_info).digest())),
                parts.signing_certificate,
            ),
            key=tsa.key,
            ecdsa=parts.ecdsa,
        )
    except SigningKeyMismatch as error:
        raise TimestampError("the TSA's key does not match its certificate") from error
    signed_data = der(
        SEQUENCE,
        SIGNED_DATA_VERSION
        + der(SET, digest_algorithm("sha256"))
        + der(
            SEQUENCE,
            TST_INFO_TYPE + der(EXPLICIT_0, der(OCTET_STRING, tst_info)),
        )
        + (parts.certificates if include_certificate else b"")
        + der(SET, signed),
    )
    return der(SEQUENCE, SIGNED_DATA_TYPE + der(EXPLICIT_0, signed_data))


def timestamp_query(digest: bytes, algorithm: str = "sha256") -> bytes:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": algorithm},
                "hashed_message": digest,
            },
            "nonce": secrets.randbits(63),
            "cert_req": True,
        }
    ).dump()


def timestamp_token(
    digest: bytes,
    algorithm: str = "sha256",
    *,
    tsa: LoadedAuthority | None = None,
    at: datetime | None = None,
) -> bytes:
    """A time-stamp token (CMS ContentInfo, DER) over `digest`, from the configured TSA.
    For the platform's own TSA a caller that has just read them may give the TSA's key
    (`tsa`) and the authoritative clock's time (`at`, read after the stamped content was
    made)."""
    if not settings.TSA_URL:
        # The platform's own TSA, in this process: nothing travelled, nothing to distrust.
        return _sign(algorithm, digest, None, include_certificate=True, tsa=tsa, at=at)
    query = timestamp_query(digest, algorithm)
    answer = _ask_external(query)
    response = tsp.TimeStampResp.load(answer)
    if response["status"]["status"].native not in ("granted", "granted_with_mods"):
        raise TimestampError(f"the TSA refused: {response['status']['status_string'].native}")
    token = response["time_stamp_token"]
    sent_nonce = tsp.TimeStampReq.load(query)["nonce"].native
    if token["content"]["encap_content_info"]["content"].parsed["nonce"].native != sent_nonce:
        raise TimestampError("the TSA answered another request (nonce differs)")
    # Trust nothing an answer claims: over our digest, intact, from a trusted TSA.
    check = timestamp_verify(token.dump(), digest, algorithm=algorithm)
    if not check.valid:
        raise TimestampError(f"the TSA's token does not hold: {check.reason}")
    return token.dump()


def _ask_external(query: bytes) -> bytes:
    # https, so nobody on the way reads the credentials or swaps answers; plain http only
    # to this machine (a TSA running beside the platform).
    address = urllib.parse.urlsplit(settings.TSA_URL)
    if address.scheme != "https" and not (
        address.scheme == "http" and address.hostname in ("127.0.0.1", "localhost", "::1")
    ):
        raise TimestampError("JANGTEO_TSA_URL must be an https address")
    headers = {"Content-Type": "application/timestamp-query"}
    if settings.TSA_AUTHORIZATION:
        headers["Authorization"] = settings.TSA_AUTHORIZATION
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        settings.TSA_URL, data=query, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.read()
    except OSError as error:
        raise TimestampError(f"the TSA at {settings.TSA_URL} did not answer: {error}") from error


def timestamp_verify(
    token: bytes, digest: bytes, *, algorithm: str = "sha256", at: datetime | None = None
) -> TimestampCheck:
    """Check a token: signed by a trusted TSA, over this digest."""
    import asyncio

    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

    from .validation import validation_context

    try:
        info = cms.ContentInfo.load(token)
        signed_data = info["content"]
        tst_info = signed_data["encap_content_info"]["content"].parsed
        imprint = tst_info["message_imprint"]
        stamped = imprint["hashed_message"].native
        stamped_algorithm = imprint["hash_algorithm"]["algorithm"].native
    except (ValueError, TypeError, KeyError):
        return TimestampCheck(False, _("This is not a time-stamp token."))
    if stamped_algorithm != algorithm or stamped != digest:
        return TimestampCheck(False, _("The time stamp is over other content."))
    context = validation_context(at or clock.now())
    try:
        status = asyncio.run(validate_tst_signed_data(signed_data, context, lambda _alg: digest))
        gen_time = tst_info["gen_time"].native
    except Exception:  # crafted structures fail deep inside the validator
        return TimestampCheck(False, _("This is not a valid time-stamp token."))
    if not status["intact"] or not status["valid"]:
        return TimestampCheck(False, _("The time stamp's signature is broken."))
    if status["trust_problem_indic"] is not None or status["validation_path"] is None:
        return TimestampCheck(False, _("The time stamp is not from a trusted TSA."))
    return TimestampCheck(True, "", gen_time, tst_info["serial_number"].native)
