"""Private keys of the platform's authorities: encrypted at rest with a passphrase that
comes from the environment (`JANGTEO_PKI_PASSPHRASE` or `JANGTEO_PKI_PASSPHRASE_FILE`)."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def passphrase() -> bytes:
    value = settings.PKI_PASSPHRASE
    if not value or len(value) < 16:
        raise ImproperlyConfigured(
            "JANGTEO_PKI_PASSPHRASE (or _FILE) must hold at least 16 "
            "characters: it protects the platform CA keys"
        )
    return value.encode()


def key_encrypt(key: PrivateKeyTypes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase()),
    ).decode()


def key_decrypt(pem: str) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem.encode(), password=passphrase())
