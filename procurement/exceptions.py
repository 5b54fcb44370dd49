"""What a tender use case can refuse, with a message the person can act on."""

from django.core.exceptions import ValidationError


class TenderError(ValidationError):
    """A use case refused: the request conflicts with the tender's state or rules."""


class InvalidDeadlines(TenderError):
    pass


class NotEditable(TenderError):
    pass


class QuestionsClosed(TenderError):
    pass
