from django.core.exceptions import ValidationError


class EvaluationError(ValidationError):
    """An evaluation step that cannot be taken, with the reason and a code."""
