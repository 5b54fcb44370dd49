from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import ratelimit, services
from .forms import ThrottledAuthenticationForm
from .models import Membership


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_record(user=form.get_user(), address=ratelimit.client_address(self.request))
        return response

    def form_invalid(self, form):
        throttled = any(e.code == "throttled" for e in form.non_field_errors().as_data())
        services.login_failure_record(
            username=form.data.get("username", ""),
            address=ratelimit.client_address(self.request),
            throttled=throttled,
        )
        response = super().form_invalid(form)
        if throttled:
            response.status_code = 429
        return response


@login_required
def dashboard(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )
    return render(request, "accounts/dashboard.html", {"memberships": memberships})
