"""The platform's RFC 3161 time-stamping authority, checked with `openssl ts`."""

import hashlib

import pytest
import time_machine
from asn1crypto import tsp

from accounts.tokens import api_token_create
from esign.timestamps import (
    TSA_POLICY,
    TimestampRejection,
    timestamp_respond,
    timestamp_token,
    timestamp_verify,
)

from .conftest import needs_openssl, openssl

pytestmark = pytest.mark.django_db

CONTENT = "접수증 receipt of envelope 3f9a".encode()
DIGEST = hashlib.sha256(CONTENT).digest()


def test_a_token_carries_our_policy_the_digest_and_the_time(pki):
    from django.utils import timezone

    moment = timezone.now().replace(microsecond=123000)
    with time_machine.travel(moment, tick=False):
        token = timestamp_token(DIGEST)
    check = timestamp_verify(token, DIGEST)
    assert check.valid, check.reason
    assert check.gen_time == moment
    from asn1crypto import cms

    info = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed
    assert info["policy"].dotted == TSA_POLICY
    assert info["message_imprint"]["hashed_message"].native == DIGEST


def test_a_token_over_other_content_or_damaged_is_refused(pki):
    token = timestamp_token(DIGEST)
    assert not timestamp_verify(token, hashlib.sha256(b"other").digest()).valid
    damaged = bytearray(token)
    damaged[-5] ^= 1
    assert not timestamp_verify(bytes(damaged), DIGEST).valid
    assert not timestamp_verify(b"junk", DIGEST).valid


def test_serials_are_unique(pki):
    from asn1crypto import cms

    serials = {
        cms.ContentInfo.load(timestamp_token(DIGEST))["content"]["encap_content_info"]["content"]
        .parsed["serial_number"]
        .native
        for _ in range(20)
    }
    assert len(serials) == 20


def test_unsupported_hashes_and_garbage_are_rejected(pki):
    query = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "md5"},
                "hashed_message": b"0" * 16,
            },
        }
    ).dump()
    for answer in (timestamp_respond(query), timestamp_respond(b"junk")):
        assert TimestampRejection.load(answer)["status"]["status"].native == "rejection"


@needs_openssl
def test_openssl_reads_a_rejection(pki, tmp_path):
    (tmp_path / "reply.tsr").write_bytes(timestamp_respond(b"junk"))
    shown = openssl("ts", "-reply", "-in", str(tmp_path / "reply.tsr"), "-text")
    assert b"Status: Rejected" in shown.stdout


@needs_openssl
def test_openssl_ts_verifies_a_reply_from_the_http_endpoint(client, pki, bidder_a, tmp_path):
    (tmp_path / "data").write_bytes(CONTENT)
    query = openssl("ts", "-query", "-data", str(tmp_path / "data"), "-sha256", "-cert")
    assert query.returncode == 0, query.stderr
    token = api_token_create(user=bidder_a, name="tsa")[1]
    response = client.post(
        "/pki/tsa",
        query.stdout,
        content_type="application/timestamp-query",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/timestamp-reply"
    (tmp_path / "reply.tsr").write_bytes(response.content)
    (tmp_path / "trust.pem").write_bytes(
        client.get("/pki/root.pem").content + client.get("/pki/issuing.pem").content
    )
    verified = openssl(
        "ts",
        "-verify",
        "-in",
        str(tmp_path / "reply.tsr"),
        "-data",
        str(tmp_path / "data"),
        "-CAfile",
        str(tmp_path / "trust.pem"),
    )
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert b"Verification: OK" in verified.stdout


def test_the_http_endpoint_wants_a_known_caller_and_a_query(client, pki, bidder_a):
    assert (
        client.post("/pki/tsa", b"x", content_type="application/timestamp-query").status_code == 401
    )
    client.force_login(bidder_a)
    assert client.post("/pki/tsa", b"x", content_type="text/plain").status_code == 415
    assert client.get("/pki/tsa").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_an_external_tsa_can_take_over(server, pki, bidder_a, settings):
    """Pointing JANGTEO_TSA_URL at a TSA (here the platform's own endpoint, over HTTP)
    makes every token come from there."""
    settings.TSA_URL = f"{server}/pki/tsa"
    settings.TSA_AUTHORIZATION = f"Bearer {api_token_create(user=bidder_a, name='tsa')[1]}"
    token = timestamp_token(DIGEST)
    assert timestamp_verify(token, DIGEST).valid
    settings.TSA_URL = "http://127.0.0.1:9/nothing-listens-here"
    from esign.timestamps import TimestampError

    with pytest.raises(TimestampError):
        timestamp_token(DIGEST)


def test_an_external_tsa_must_be_https_unless_it_runs_on_this_machine(pki, settings):
    from esign.timestamps import TimestampError

    settings.TSA_URL = "http://tsa.example.kr/tsa"
    with pytest.raises(TimestampError, match="https"):
        timestamp_token(DIGEST)


def test_a_crafted_token_is_refused_not_crashed_on(pki):
    from asn1crypto import cms

    token = cms.ContentInfo.load(timestamp_token(DIGEST))
    signed_data = token["content"]
    stripped = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": cms.SignedData(
                {
                    "version": "v3",
                    "digest_algorithms": signed_data["digest_algorithms"],
                    "encap_content_info": signed_data["encap_content_info"],
                    "signer_infos": [],
                }
            ),
        }
    )
    assert not timestamp_verify(stripped.dump(), DIGEST).valid


def test_the_platform_tsa_signs_with_ecdsa(pki):
    from asn1crypto import cms

    signer = cms.ContentInfo.load(timestamp_token(DIGEST))["content"]["signer_infos"][0]
    assert signer["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"


def test_a_tsa_with_an_rsa_key_keeps_signing_with_it(pki):
    """A platform whose TSA was made with an RSA key (before P-256) goes on using it."""
    from asn1crypto import cms
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.utils import timezone

    from esign import authority
    from esign.keys import key_encrypt
    from esign.models import Authority, AuthorityRole

    key = rsa.generate_private_key(65537, 3072)
    builder = (
        authority._builder(
            authority._name("Jangteo Time-Stamping Authority"),
            authority.authority_load(AuthorityRole.ISSUING).certificate.subject,
            key.public_key(),
            timezone.now(),
            365,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(authority._signing_usage(), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    )
    certificate = authority._issued_by(builder, authority.authority_load(AuthorityRole.ISSUING))
    Authority.objects.filter(role=AuthorityRole.TSA).update(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key_pem=key_encrypt(key),
    )
    token = timestamp_token(DIGEST)
    signer = cms.ContentInfo.load(token)["content"]["signer_infos"][0]
    assert signer["signature_algorithm"]["algorithm"].native == "sha256_rsa"
    check = timestamp_verify(token, DIGEST)
    assert check.valid, check.reason
