from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.permissions import organisations_where
from suppliers.models import Category

from .deadlines import DEADLINE_FIELDS
from .models import ClassificationScheme, ProcedureType

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def deadline_field(label):
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=LocalDateTimeInput(),
        help_text=_("Korea Standard Time (Asia/Seoul)"),
    )


class DeadlinesForm(forms.Form):
    questions_close_at = deadline_field(_("Questions close"))
    registration_close_at = deadline_field(_("Registration closes"))
    bid_open_at = deadline_field(_("Bidding opens"))
    bid_close_at = deadline_field(_("Bidding closes (bid deadline)"))
    opening_at = deadline_field(_("Opening"))


class OpeningOfficerField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name or obj.get_username()} ({obj.get_username()})"


class TenderForm(DeadlinesForm):
    buyer = forms.ModelChoiceField(label=_("Buying agency"), queryset=None)
    procedure_type = forms.ModelChoiceField(
        label=_("Procedure type"), queryset=ProcedureType.objects.all()
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Eligible categories"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Suppliers need a valid licence in one of these; none: any verified supplier."),
    )
    opening_officers = OpeningOfficerField(
        label=_("Opening officers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Each receives one share of the tender's opening key at publication; the bids "
            "open only when enough of them enter their shares after the deadline."
        ),
    )
    opening_threshold = forms.IntegerField(
        label=_("Shares needed to open"), min_value=1, max_value=16, initial=2
    )
    field_order = [
        "buyer",
        "procedure_type",
        "title",
        "description",
        "categories",
        "opening_officers",
        "opening_threshold",
        *DEADLINE_FIELDS,
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        buyers = organisations_where(user, Role.PROCUREMENT_OFFICER)
        self.fields["buyer"].queryset = buyers
        # Whoever is offered here is checked again by the service (and at publication).
        self.fields["opening_officers"].queryset = (
            User.objects.filter(
                memberships__organisation__in=buyers,
                memberships__role=Role.OPENING_OFFICER,
                is_active=True,
            )
            .distinct()
            .order_by("username")
        )


class TenderEditForm(TenderForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["buyer"]


class LotForm(forms.Form):
    title = forms.CharField(label=_("Lot title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    base_amount = forms.IntegerField(label=_("Base amount (KRW)"), min_value=1, max_value=10**15)


class ItemForm(forms.Form):
    lot = forms.TypedChoiceField(label=_("Lot"), coerce=int)
    description = forms.CharField(label=_("Item"), max_length=300)
    classification_scheme = forms.ChoiceField(
        label=_("Scheme"), choices=ClassificationScheme.choices
    )
    classification_code = forms.RegexField(
        label=_("Classification code"), max_length=20, regex=r"^[0-9A-Za-z.-]{2,20}$"
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=0.001, max_digits=14, decimal_places=3
    )
    unit = forms.CharField(label=_("Unit"), max_length=30)

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = [(lot.pk, f"{lot.number}. {lot.title}") for lot in lots]


class DocumentForm(forms.Form):
    title = forms.CharField(
        label=_("Document title"),
        max_length=200,
        help_text=_(
            "Uploading a file under an existing title adds a new "
            "version; earlier versions stay available."
        ),
    )
    file = forms.FileField(label=_("File"))


class AmendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the amendment"), widget=forms.Textarea(attrs={"rows": 2})
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    questions_close_at = deadline_field(_("Questions close"))
    registration_close_at = deadline_field(_("Registration closes"))
    bid_open_at = deadline_field(_("Bidding opens"))
    bid_close_at = deadline_field(_("Bidding closes (bid deadline)"))
    opening_at = deadline_field(_("Opening"))
    document_title = forms.CharField(label=_("Document title"), max_length=200, required=False)
    document_file = forms.FileField(label=_("New document or version"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DEADLINE_FIELDS:
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        if bool(data.get("document_title")) != bool(data.get("document_file")):
            raise forms.ValidationError(_("Give both a document title and a file, or neither."))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancellation (published)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class QuestionForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Asking for"), queryset=None)
    text = forms.CharField(
        label=_("Your question"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations_where(
            user, Role.BIDDER, Role.SUPPLIER_ADMIN
        )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer (published)"), max_length=8000, widget=forms.Textarea(attrs={"rows": 2})
    )
