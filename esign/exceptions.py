from django.core.exceptions import ValidationError


class CertificateRequestRefused(ValidationError):
    """A certificate signing request the CA will not sign, with the reason."""


class SignatureRefused(ValidationError):
    """A person's signature the platform does not accept, with the reason and a code."""
