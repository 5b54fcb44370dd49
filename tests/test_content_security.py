"""The Content-Security-Policy middleware gives every response the header django-csp would,
whether it builds the header itself or takes the one built once from the settings."""

import pytest
from csp.constants import NONCE
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from config.content_security import ContentSecurityPolicyMiddleware

POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}


def _both(path="/", view=None):
    """The response of each middleware, django-csp's and ours, for the same view."""

    def respond(request):
        return view(request) if view else HttpResponse("ok")

    answers = []
    for middleware in (CSPMiddleware, ContentSecurityPolicyMiddleware):
        request = RequestFactory().get(path)
        answers.append((middleware(respond)(request), request))
    return answers


def _headers(response):
    return {
        name: response.get(name)
        for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
    }


def test_a_page_and_an_api_answer_carry_the_policy_of_the_settings(client, db):
    for path in ("/", "/api/v1/tenders/"):
        response = client.get(path)
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_header_is_django_csp_s_for_the_settings():
    (theirs, _), (ours, _) = _both()
    assert _headers(ours) == _headers(theirs)
    assert ours["Content-Security-Policy"]


def test_a_change_of_the_settings_changes_the_header():
    with override_settings(
        CONTENT_SECURITY_POLICY=POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY=POLICY
    ):
        (theirs, _), (ours, _) = _both()
        assert _headers(ours) == _headers(theirs)
        assert ours["Content-Security-Policy-Report-Only"] == ours["Content-Security-Policy"]
        directives = sorted(ours["Content-Security-Policy"].split("; "))
        assert directives == ["default-src 'self'", "script-src 'self'"]
    (after, _) = _both()[1]
    assert "Content-Security-Policy-Report-Only" not in after
    assert "img-src" in after["Content-Security-Policy"]


def test_a_nonce_drawn_by_the_page_is_in_its_header():
    def page(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    with override_settings(CONTENT_SECURITY_POLICY=POLICY):
        (_, _), (ours, request) = _both(view=page)
    assert f"'nonce-{request._csp_nonce}'" in ours["Content-Security-Policy"]


def test_a_nonce_asked_for_after_the_header_is_written_is_refused():
    (_, _), (_, request) = _both()
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_view_s_own_changes_to_the_policy_are_kept():
    def updated(request):
        response = HttpResponse("ok")
        response._csp_update = {"img-src": ["https://maps.example"]}
        return response

    def exempt(request):
        response = HttpResponse("ok")
        response._csp_exempt = True
        return response

    (theirs, _), (ours, _) = _both(view=updated)
    assert "https://maps.example" in ours["Content-Security-Policy"]
    assert _headers(ours) == _headers(theirs)
    (_, _), (ours, _) = _both(view=exempt)
    assert "Content-Security-Policy" not in ours


def test_a_header_the_view_set_and_excluded_paths_are_left_alone():
    def own(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    (_, _), (ours, _) = _both(view=own)
    assert ours["Content-Security-Policy"] == "default-src 'none'"
    with override_settings(CONTENT_SECURITY_POLICY={**POLICY, "EXCLUDE_URL_PREFIXES": ["/raw/"]}):
        (_, _), (ours, _) = _both(path="/raw/file")
        assert "Content-Security-Policy" not in ours
        (_, _), (ours, _) = _both(path="/page")
        assert "Content-Security-Policy" in ours
