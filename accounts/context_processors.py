from django.utils.functional import SimpleLazyObject

from .models import Membership, Role


def roles(request):
    """What the navigation offers this person; looked up only when a template asks."""

    def compute() -> dict:
        user = getattr(request, "user", None)
        held = set()
        if user is not None and user.is_authenticated:
            held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
        return {
            "agency": Role.PROCUREMENT_OFFICER in held,
            "supplier": bool(held & {Role.SUPPLIER_ADMIN, Role.BIDDER}),
            "operator": Role.OPERATOR in held,
            "opener": Role.OPENING_OFFICER in held,
            "evaluator": Role.EVALUATOR in held,
        }

    return {"nav": SimpleLazyObject(compute)}
