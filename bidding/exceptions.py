from django.core.exceptions import ValidationError


class RegistrationRefused(ValidationError):
    """The supplier may not register for this tender; the messages say why."""


class ReceivingKeyRefused(ValidationError):
    """An opening officer's share-receiving key the platform will not take."""


class BidRefused(ValidationError):
    """A submission or withdrawal the platform does not take; `code` says which rule, and
    nothing was stored. `status` is the HTTP status the API answers with."""

    status = 400


class TenderNotFound(BidRefused):
    """No published tender of that id (a draft is not found either, as on every page)."""

    status = 404


class BidForbidden(BidRefused):
    """Not this person's or this company's to submit: no certificate of theirs, a company
    not registered for the tender, another company's envelope."""

    status = 403


class BidTooLate(BidRefused):
    """Outside the bid window by the authoritative clock (or the tender is not in bidding)."""

    status = 409


class BidConflict(BidRefused):
    """Concurrent submissions of the same company for the same lot kept changing what this
    one was decided on; nothing of it was stored, and sending it again is safe."""

    status = 409


class IdempotencyConflict(BidRefused):
    """An Idempotency-Key already used for a different submission."""

    status = 409


class EnvelopeTooLarge(BidRefused):
    status = 413


class ShareRefused(ValidationError):
    """An opening share the platform does not count; `code` says why (the attempt is
    audited all the same)."""
