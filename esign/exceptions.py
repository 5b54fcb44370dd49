from django.core.exceptions import ValidationError


class CertificateRequestRefused(ValidationError):
    """A certificate signing request the CA will not sign, with the reason."""
