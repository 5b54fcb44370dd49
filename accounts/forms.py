from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import ratelimit


class ThrottledAuthenticationForm(AuthenticationForm):
    """The sign-in form; says so plainly when the account or address is throttled (the
    authentication backend enforces it on every path)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Wait a few minutes and try again."),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username = self.cleaned_data.get("username") or ""
            if ratelimit.login_blocked(username, ratelimit.client_address(self.request)):
                raise forms.ValidationError(
                    self.error_messages["throttled"], code="throttled"
                ) from None
            raise
