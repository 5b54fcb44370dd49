from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .forms import ThrottledAuthenticationForm
from .models import Membership


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
def dashboard(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name", "role")
    )
    return render(request, "accounts/dashboard.html", {"memberships": memberships})
