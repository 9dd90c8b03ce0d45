"""A strict Content-Security-Policy on every answer: the portal's own scripts and styles only.

No inline script, no inline style or style attribute, no event-handler attribute, nothing from
another host: hostile text that ever slipped past escaping could neither run nor restyle a page.
Every page's scripts and styles are static files (dashboard/static, faultportal/static, the
admin's own, the Swagger UI sidecar's; templates/drf_spectacular/ drops Swagger's inline
style). tests/browser/test_csp_browser.py renders the pages in Chromium and fails on any
violation. The ingest endpoint answers ahead of the middleware (JSON, no page).
"""

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
