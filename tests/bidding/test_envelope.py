"""The envelope format, v1: canonical JSON, the bid's rules, sealing bound to tender, lot
and supplier. Pure format: no database."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from bidding import envelope
from bidding.envelope import EnvelopeError, canonical_json

TENDER, SUPPLIER = "ocds-jt0001-2026-000123", "1018163364"


def test_canonical_json_follows_rfc_8785():
    # Key order by UTF-16 code units (RFC 8785 section 3.2.3), no whitespace, strings as
    # ECMAScript writes them.
    value = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    assert canonical_json(value).decode() == (
        '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\U0001f600":5,"\ufb33":3}'
    )
    assert canonical_json(["\u2028", "\x1f", '"\\', "/"]).decode() == (
        '["\u2028","\\u001f","\\"\\\\","/"]'
    )
    assert canonical_json({"a": [True, False, None, -0, 9007199254740991]}) == (
        b'{"a":[true,false,null,0,9007199254740991]}'
    )


@pytest.mark.parametrize(
    "bad",
    [
        1.5,
        2**53,
        {1: "x"},
        "\ud800",
        "ok\udfff",
        b"bytes",
        {"a": 2**53},
        {"a": 1.0},
        {"a": "\ud800"},
    ],
)
def test_what_canonical_json_refuses(bad):
    with pytest.raises(EnvelopeError):
        canonical_json(bad)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(blacklist_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(blacklist_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_reads_back_and_is_a_fixed_point(value):
    data = canonical_json(value)
    assert json.loads(data) == value
    assert canonical_json(json.loads(data)) == data


# Receipts take canonical_json's path for flat objects (json.dumps); the general encoder
# above is the reference it must agree with, byte for byte and refusal for refusal.
flat_objects = st.dictionaries(
    st.text(st.characters(max_codepoint=127)) | st.text(st.characters(blacklist_categories=["Cs"])),
    st.none()
    | st.booleans()
    | st.integers(-(2**54), 2**54)
    | st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53)])
    | st.text(st.characters() | st.sampled_from(["\ud800", "\udfff", "\x00", "\x7f", "\u2028"])),
    max_size=8,
)


@given(flat_objects)
def test_a_flat_object_is_written_as_the_general_encoder_writes_it(value):
    try:
        expected = envelope._encode(value).encode("utf-8")
    except EnvelopeError:
        with pytest.raises(EnvelopeError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


def test_a_receipt_shaped_object_is_written_as_the_general_encoder_writes_it():
    value = {
        "format": "jangteo-receipt/1",
        "supplier": '조달\t"회사"\n\x01',
        "lot": 1,
        "envelope_size": 2**53 - 1,
        "replaces": None,
        "B": "upper case sorts first",
    }
    assert canonical_json(value) == envelope._encode(value).encode("utf-8")
    assert canonical_json(value).startswith(b'{"B":')


def bid(**overrides):
    fields = {"tender": TENDER, "lot": 1, "supplier": SUPPLIER, "amount": 98_765_000}
    return envelope.bid_json(**{**fields, **overrides})


def test_a_bid_reads_back_as_written():
    data = bid(reserve_picks=[12, 3], documents=[("가격산출서.pdf", b"%PDF-1.7")])
    parsed = envelope.bid_parse(data)
    assert parsed.amount == 98_765_000
    assert parsed.reserve_picks == (3, 12)
    assert parsed.documents[0].name == "가격산출서.pdf"
    assert parsed.documents[0].size == 8


def test_two_bids_differ_by_their_nonce():
    assert bid() != bid()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda v: v.update(amount=0), "amount"),
        (lambda v: v.update(amount="1000"), "fields"),
        (lambda v: v.update(supplier="101-81-63364"), "fields"),
        (lambda v: v.update(currency="USD"), "fields"),
        (lambda v: v.update(reserve_picks=[3, 3]), "picks"),
        (lambda v: v.update(reserve_picks=[5, 2]), "picks"),
        (lambda v: v.update(nonce="short"), "nonce"),
        (lambda v: v.update(extra=1), "fields"),
        (lambda v: v.pop("nonce"), "fields"),
        (lambda v: v.update(format="jangteo-bid/2"), "format"),
    ],
)
def test_a_bid_breaking_a_rule_is_refused(change, code):
    value = json.loads(bid())
    change(value)
    with pytest.raises(EnvelopeError) as refusal:
        envelope.bid_parse(canonical_json(value))
    assert refusal.value.code == code


def test_a_bid_not_in_canonical_form_is_refused():
    value = json.loads(bid())
    with pytest.raises(EnvelopeError) as refusal:
        envelope.bid_parse(json.dumps(value, indent=1).encode())
    assert refusal.value.code == "canonical"


@pytest.fixture(scope="module")
def opening_key():
    return X25519PrivateKey.generate()


def sealed_for(opening_key, lot=1, supplier=SUPPLIER):
    contents = envelope.contents_pack(bid(lot=lot), b"inner-signature", [("a.pdf", b"%PDF")])
    info = envelope.seal_info(tender=TENDER, lot=lot, supplier=supplier)
    return contents, envelope.seal(contents, opening_key.public_key(), info)


def test_a_sealed_envelope_opens_with_the_key_for_its_tender_lot_and_supplier(opening_key):
    contents, sealed = sealed_for(opening_key)
    assert len(sealed) == len(contents) + envelope.ENC_LENGTH + envelope.TAG_LENGTH
    info = envelope.seal_info(tender=TENDER, lot=1, supplier=SUPPLIER)
    opened = envelope.contents_unpack(envelope.unseal(sealed, opening_key, info))
    assert opened.signature == b"inner-signature"
    assert opened.documents == {"a.pdf": b"%PDF"}


@pytest.mark.parametrize(
    "where",
    [
        {"tender": "ocds-jt0001-2026-000124", "lot": 1, "supplier": SUPPLIER},
        {"tender": TENDER, "lot": 2, "supplier": SUPPLIER},
        {"tender": TENDER, "lot": 1, "supplier": "2208162517"},
    ],
)
def test_an_envelope_moved_elsewhere_does_not_open(opening_key, where):
    _contents, sealed = sealed_for(opening_key)
    with pytest.raises(EnvelopeError) as refusal:
        envelope.unseal(sealed, opening_key, envelope.seal_info(**where))
    assert refusal.value.code == "unseal"


def test_a_tampered_envelope_or_another_key_opens_nothing(opening_key):
    _contents, sealed = sealed_for(opening_key)
    info = envelope.seal_info(tender=TENDER, lot=1, supplier=SUPPLIER)
    for position in (0, envelope.ENC_LENGTH, len(sealed) - 1):
        tampered = bytearray(sealed)
        tampered[position] ^= 1
        with pytest.raises(EnvelopeError):
            envelope.unseal(bytes(tampered), opening_key, info)
    with pytest.raises(EnvelopeError):
        envelope.unseal(sealed, X25519PrivateKey.generate(), info)
    with pytest.raises(EnvelopeError):
        envelope.unseal(sealed[:40], opening_key, info)
