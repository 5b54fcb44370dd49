from django.core.exceptions import ValidationError


class RegistrationRefused(ValidationError):
    """The supplier may not register for this tender; the messages say why."""
