from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EsignConfig(AppConfig):
    name = "esign"
    verbose_name = _("Signatures and PKI")
