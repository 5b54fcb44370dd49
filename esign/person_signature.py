"""A person's signature over a statement they make for their organisation (an award, a
declaration, a set of scores): detached CMS by a certificate the platform holds for that
person and organisation, active and trusted now. The key never reaches the server; the
signature does, and is kept beside the statement so anyone can check it later."""

from django.utils.translation import gettext as _

from .authority import fingerprint
from .detached import DetachedSignatureError, detached_signer
from .exceptions import SignatureRefused
from .models import Certificate, CertificateStatus
from .validation import certificate_check


def person_signature_check(
    *, signature: bytes, content: bytes, person, organisation
) -> Certificate:
    """The certificate that made `signature` over `content`, when it is `person`'s for
    `organisation`, active and trusted now. Raises SignatureRefused (code says which)."""
    try:
        signer = detached_signer(signature, content)
    except DetachedSignatureError as error:
        raise SignatureRefused(
            _("The signature does not hold over this statement."), code="signature"
        ) from error
    record = Certificate.objects.filter(
        fingerprint=fingerprint(signer.certificate), holder=person
    ).first()
    if record is None:
        raise SignatureRefused(
            _("The statement is not signed with one of your certificates."),
            code="certificate_not_yours",
        )
    if record.organisation_id != organisation.pk:
        raise SignatureRefused(
            _("Sign with your certificate for %(organisation)s.")
            % {"organisation": organisation.name},
            code="certificate_organisation",
        )
    if record.status != CertificateStatus.ACTIVE:
        raise SignatureRefused(
            _("This certificate is no longer active."), code="certificate_status"
        )
    check = certificate_check(signer.certificate)
    if not check.trusted:
        raise SignatureRefused(check.reason, code="certificate_untrusted")
    return record
