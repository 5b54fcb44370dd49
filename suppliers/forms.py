from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

from .brn import brn_normalize, validate_brn
from .models import Category


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    name_en = forms.CharField(label=_("Company name in English"), max_length=200, required=False)
    brn = forms.CharField(
        label=_("Business registration number"),
        max_length=14,
        help_text=_("Ten digits, e.g. 123-45-67890"),
        validators=[validate_brn],
    )
    representative = forms.CharField(label=_("Representative"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=300)
    phone = forms.CharField(label=_("Phone"), max_length=30)
    email = forms.EmailField(label=_("Contact e-mail"))
    bank_name = forms.CharField(label=_("Bank"), max_length=60)
    bank_account = forms.CharField(label=_("Account number (for payments)"), max_length=40)
    bank_holder = forms.CharField(label=_("Account holder"), max_length=100)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories the company is licensed for"),
        queryset=Category.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_brn(self):
        return brn_normalize(self.cleaned_data["brn"])


class AdministratorForm(forms.Form):
    """The company's first administrator, when nobody is signed in."""

    username = forms.RegexField(label=_("User name"), max_length=150, regex=r"^[\w.@+-]+$")
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    admin_email = forms.EmailField(label=_("Your e-mail"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password_again"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


class PersonForm(forms.Form):
    username = forms.RegexField(label=_("User name"), max_length=150, regex=r"^[\w.@+-]+$")
    display_name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput,
        min_length=10,
        help_text=_("Give it to the person; they should change it."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (Role.BIDDER.value, Role.BIDDER.label),
            (Role.SUPPLIER_ADMIN.value, Role.SUPPLIER_ADMIN.label),
        ],
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the company will read it)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class SuspendForm(ReasonForm):
    until = forms.DateField(
        label=_("Suspended until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for an open-ended suspension."),
    )


class TenderRegistrationForm(forms.Form):
    supplier = forms.ModelChoiceField(label=_("Register the company"), queryset=None)

    def __init__(self, *args, suppliers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = suppliers
