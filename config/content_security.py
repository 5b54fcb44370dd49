"""The Content-Security-Policy headers, built once for every response that keeps the policy
of the settings as it is.

django-csp builds both headers from the settings on each response, directive by directive:
a few per cent of a bid submission's time, for the same two strings every time. A response
whose view changed the policy (`csp_update`, `csp_replace`, `csp_override`, `csp_exempt`)
or whose page drew a nonce is still built by django-csp itself.
"""

import functools

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
# (setting, header, report only) of each policy django-csp knows
_POLICIES = (
    ("CONTENT_SECURITY_POLICY", HEADER, False),
    ("CONTENT_SECURITY_POLICY_REPORT_ONLY", HEADER_REPORT_ONLY, True),
)
_SETTINGS = tuple(name for name, _, _ in _POLICIES)


@functools.cache
def _headers() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(header, value, excluded path prefixes) of each policy the settings set."""
    headers = []
    for name, header, report_only in _POLICIES:
        value = build_policy(report_only=report_only)
        if value:
            policy = getattr(settings, name, None) or {}
            prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
            headers.append((header, value, prefixes))
    return tuple(headers)


@receiver(setting_changed)
def _policy_changed(*, setting, **kwargs):
    if setting in _SETTINGS:
        _headers.cache_clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if not (response.status_code in (404, 500) and settings.DEBUG):  # as django-csp
            for header, value, prefixes in _headers():
                if header not in response and not request.path_info.startswith(prefixes):
                    response[header] = value
        # As django-csp: a nonce drawn after the header is written would not be in it.
        request.csp_nonce = _NONCE_AFTER_RESPONSE
        return response


# Raises whenever it is read, so one serves every response.
_NONCE_AFTER_RESPONSE = CheckableLazyObject(CSPMiddleware._csp_nonce_post_response)
