from django.core.exceptions import ValidationError


class RegistrationRefused(ValidationError):
    """The supplier may not register for this tender; the messages say why."""


class ReceivingKeyRefused(ValidationError):
    """An opening officer's share-receiving key the platform will not take."""
