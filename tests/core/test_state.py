"""Models with guarded transitions find their state fields once per model, the same ones
the library finds (that the guard still refuses a stale copy's transition:
tests/procurement/test_transitions.py)."""

import pytest
from django.apps import apps
from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin

from core.state import ConcurrentTransitions

GUARDED = [m for m in apps.get_models() if issubclass(m, ConcurrentTransitionMixin)]


def test_every_guarded_model_is_the_platform_s():
    assert GUARDED
    assert all(issubclass(model, ConcurrentTransitions) for model in GUARDED)


@pytest.mark.parametrize("model", GUARDED, ids=lambda m: m.__name__)
def test_the_state_fields_are_those_the_library_finds(model):
    expected = [f for f in model._meta.fields if isinstance(f, FSMFieldMixin)]
    instance = model()
    assert list(instance.state_fields) == expected
    assert instance.state_fields is model().state_fields  # found once for the model
