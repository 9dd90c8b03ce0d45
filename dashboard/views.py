"""The server-rendered pages: dashboard, host, fault. Staff only; the admin's login form.

Thin views: the content comes from dashboard.pages.*, the markup from
dashboard/templates/dashboard/.
Pages are never cached by browsers or proxies: they show live state.
"""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from dashboard.pages.dashboard import dashboard_page
from dashboard.pages.fault import fault_page
from dashboard.pages.host import host_page
from dashboard.pages.logs import log_context_page, log_explorer_page
from diagnosis.models import FaultRecord
from logs.models import SystemLog
from logs.selectors import SEARCH_FIELDS


def page(request, template: str, context: dict, **extra):
    return render(
        request,
        template,
        {**context, "refresh_seconds": settings.DASHBOARD_REFRESH_SECONDS, **extra},
    )


@never_cache
@staff_member_required
def dashboard(request):
    return page(
        request, "dashboard/dashboard.html", dashboard_page(now=timezone.now()), nav="dashboard"
    )


@never_cache
@staff_member_required
def host(request, host: str):
    context = host_page(host=host, now=timezone.now())
    if context is None:
        raise Http404(f"No host {host!r} is known to the portal.")
    return page(request, "dashboard/host.html", context)


@never_cache
@staff_member_required
def fault(request, fault_id: int):
    try:
        context = fault_page(fault_id=fault_id)
    except FaultRecord.DoesNotExist:
        raise Http404(f"No fault #{fault_id}.") from None
    return page(request, "dashboard/fault.html", context, now=timezone.now())


@never_cache
@staff_member_required
def logs(request):
    context = log_explorer_page(params=request.GET, now=timezone.now())
    # The page follows new lines itself (live tail); a whole-page refresh would lose its place.
    response = render(
        request, "dashboard/logs.html", {**context, "refresh_seconds": 0, "nav": "logs"}
    )
    if context["errors"]:
        response.status_code = 400
    return response


@never_cache
@staff_member_required
def log_context(request, line_id: int):
    line = SystemLog.objects.only(*SEARCH_FIELDS).filter(pk=line_id).first()
    if line is None:
        raise Http404(f"No line #{line_id} (it may have been pruned).")
    return render(
        request, "dashboard/log_context.html", {**log_context_page(line=line), "refresh_seconds": 0}
    )
