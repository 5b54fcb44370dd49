from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import ThrottledAuthenticationForm
from .models import ApiToken, Membership
from .tokens import api_token_create, api_token_revoke


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        throttled = any(e.code == "throttled" for e in form.non_field_errors().as_data())
        response = super().form_invalid(form)
        if throttled:
            response.status_code = 429
        return response


@login_required
def dashboard(request, new_token: str = ""):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )
    return render(
        request,
        "accounts/dashboard.html",
        {
            "memberships": memberships,
            "new_token": new_token,
            "tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True),
        },
    )


@login_required
@require_POST
def token_create(request):
    row, token = api_token_create(user=request.user, name=request.POST.get("name", ""))
    return dashboard(request, new_token=token)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:dashboard")
