"""The few DER (X.690) writers the platform's own signatures are assembled with.

The time-stamp tokens and the receipts' CMS signatures are built per request from parts
encoded once (esign.timestamps, esign.signed_data): only their changing fields are written
here, into the same bytes asn1crypto writes for them (tests/esign/test_der.py).
"""

from datetime import UTC, datetime

SEQUENCE, SET, OCTET_STRING, INTEGER = 0x30, 0x31, 0x04, 0x02
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18
EXPLICIT_0 = IMPLICIT_0_SET = 0xA0  # [0] constructed


def der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def integer(value: int) -> bytes:
    """An INTEGER's DER: two's complement, big-endian, in the fewest bytes that keep the
    sign (a leading zero byte where a positive value's top bit is set)."""
    magnitude = value if value >= 0 else ~value
    return der(INTEGER, value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True))


def generalized_time(moment: datetime) -> bytes:
    """A GeneralizedTime's DER as asn1crypto writes it: UTC, to the second, then the
    microseconds only as far as they are not zero."""
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    text = (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}{fraction}Z"
    )
    return der(GENERALIZED_TIME, text.encode("ascii"))


def signing_time(moment: datetime) -> bytes:
    """A CMS signing time (RFC 5652, 11.3), to the second: UTCTime from 1950 to 2049 as the
    RFC requires, GeneralizedTime outside those years."""
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if not 1950 <= moment.year <= 2049:
        return generalized_time(moment)
    return der(UTC_TIME, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
