from django.core.exceptions import ValidationError


class SupplierError(ValidationError):
    """A supplier use case refused, with a message the person can act on."""


class AlreadyRegistered(SupplierError):
    pass
