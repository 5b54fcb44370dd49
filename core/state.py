"""The platform's models with guarded transitions (django-fsm-2's ConcurrentTransitionMixin).

The mixin remembers each instance's state fields as it is made, so that a save stores a
transition only if the row is still in the state it was read in. Which of a model's fields
are state fields it worked out anew for every instance, by filtering all of the model's
fields; a bid submission makes eight such instances, and that filtering was 2 % of its
instructions (docs/performance.md). A model's fields do not change once Django has loaded
it, so here they are found once per model.
"""

import functools

from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin


@functools.cache
def _state_fields(model) -> tuple:
    return tuple(field for field in model._meta.fields if isinstance(field, FSMFieldMixin))


class ConcurrentTransitions(ConcurrentTransitionMixin):
    @property
    def state_fields(self):
        return _state_fields(type(self))
