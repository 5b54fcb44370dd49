"""docs/bid-envelope.md is a public interface: its test vector must verify with the
platform's implementation and with OpenSSL, exactly as the page tells a third party to."""

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from bidding import envelope
from tests.esign.conftest import needs_openssl, openssl

DOC = Path(__file__).resolve().parents[2] / "docs" / "bid-envelope.md"


@pytest.fixture(scope="module")
def vector() -> dict[str, str]:
    blocks = re.findall(r"<!-- vector:(\S+) -->\n```[a-z]*\n(.*?)\n```", DOC.read_text(), re.S)
    return dict(blocks)


def raw(vector, name: str) -> bytes:
    return base64.b64decode("".join(vector[name].split()))


def test_the_vector_bid_json_is_canonical_and_follows_the_rules(vector):
    data = vector["bid.json"].encode()
    bid = envelope.bid_parse(data)
    rebuilt = envelope.bid_json(
        tender=bid.tender,
        lot=bid.lot,
        supplier=bid.supplier,
        amount=bid.amount,
        reserve_picks=bid.reserve_picks,
        documents=[("가격산출내역서.txt", "공급가액 98,765,000원\n".encode())],
        nonce=bid.nonce,
    )
    assert rebuilt == data


def test_the_vector_keys_info_and_sealed_contents_agree(vector):
    private_key = X25519PrivateKey.from_private_bytes(
        bytes.fromhex(vector["opening-private-key.hex"])
    )
    public = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert public.hex() == vector["opening-public-key.hex"]
    bid = envelope.bid_parse(vector["bid.json"].encode())
    info = envelope.seal_info(tender=bid.tender, lot=bid.lot, supplier=bid.supplier)
    assert info == vector["info"].encode()
    assert json.loads(info)["purpose"] == "jangteo-bid-envelope"
    contents = envelope.unseal(raw(vector, "sealed.b64"), private_key, info)
    assert hashlib.sha256(contents).hexdigest() == vector["contents.sha256"]
    opened = envelope.contents_unpack(contents)
    assert opened.bid_json == vector["bid.json"].encode()
    assert opened.signature == raw(vector, "inner.p7s.b64")
    for reference in bid.documents:
        assert hashlib.sha256(opened.documents[reference.name]).hexdigest() == reference.sha256


@needs_openssl
def test_openssl_verifies_the_vector_signatures_as_the_page_says(vector, tmp_path):
    (tmp_path / "signer.pem").write_text(vector["signer.pem"] + "\n")
    (tmp_path / "bid.json").write_bytes(vector["bid.json"].encode())
    (tmp_path / "inner.p7s").write_bytes(raw(vector, "inner.p7s.b64"))
    (tmp_path / "sealed").write_bytes(raw(vector, "sealed.b64"))
    (tmp_path / "outer.p7s").write_bytes(raw(vector, "outer.p7s.b64"))
    for signature, content in (("inner.p7s", "bid.json"), ("outer.p7s", "sealed")):
        result = openssl(
            "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(tmp_path / signature), "-content", str(tmp_path / content),
            "-CAfile", str(tmp_path / "signer.pem"), "-out", "/dev/null",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    # and a signature over other bytes does not verify
    result = openssl(
        "cms", "-verify", "-binary", "-inform", "DER",
        "-in", str(tmp_path / "inner.p7s"), "-content", str(tmp_path / "sealed"),
        "-CAfile", str(tmp_path / "signer.pem"), "-out", "/dev/null",
    )  # fmt: skip
    assert result.returncode != 0


def test_a_third_partys_sealing_to_the_published_key_opens_with_the_vector_key(vector):
    published = X25519PublicKey.from_public_bytes(bytes.fromhex(vector["opening-public-key.hex"]))
    info = vector["info"].encode()
    sealed = envelope.seal(b"my contents", published, info)
    private_key = X25519PrivateKey.from_private_bytes(
        bytes.fromhex(vector["opening-private-key.hex"])
    )
    assert envelope.unseal(sealed, private_key, info) == b"my contents"


def test_the_vector_script_prints_a_vector_that_verifies_too(vector):
    import subprocess
    import sys

    output = subprocess.run(
        [sys.executable, str(DOC.parents[1] / "scripts" / "envelope_vector.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    fresh = dict(re.findall(r"<!-- vector:(\S+) -->\n```[a-z]*\n(.*?)\n```", output, re.S))
    # the deterministic parts are the page's, byte for byte; the randomised ones verify
    for name in ("bid.json", "info", "opening-public-key.hex", "ephemeral-private-key.hex"):
        assert fresh[name] == vector[name], name
    test_the_vector_keys_info_and_sealed_contents_agree(fresh)
