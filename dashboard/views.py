"""The server-rendered pages: dashboard, host, fault, incident. Staff only; the admin's login form.

The one write is an operator's one-click silence (POST, CSRF-checked, the `oncall.add_silence`
permission of the "operator" group), answered with a redirect back to the page.

Thin views: the content comes from dashboard.pages.*, the markup from
dashboard/templates/dashboard/.
Pages are never cached by browsers or proxies: they show live state.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dashboard.pages.dashboard import dashboard_page
from dashboard.pages.fault import fault_page
from dashboard.pages.host import host_page
from dashboard.pages.incident import incident_page
from dashboard.pages.logs import log_context_page, log_explorer_page
from diagnosis.models import FaultRecord, Incident
from logs.models import SystemLog
from logs.selectors import SEARCH_FIELDS
from oncall.silences import fault_snooze, fault_unsnooze, silence_for_fault, silence_for_incident

# What a one-click silence may last (hours); the page's button sends 2.
SILENCE_HOURS = (1, 2, 4, 8, 24)
SILENCE_COMMENT_CHARS = 2000
# What the fault page's snooze offers: ("h", hours) until a time, ("n", count) occurrences.
SNOOZE_CHOICES = {
    "h1": ("h", 1),
    "h4": ("h", 4),
    "h24": ("h", 24),
    "h168": ("h", 168),
    "n10": ("n", 10),
    "n100": ("n", 100),
    "n1000": ("n", 1000),
}


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


def _silence_hours(request) -> int | None:
    try:
        hours = int(request.POST.get("hours", "2"))
    except ValueError:
        return None
    return hours if hours in SILENCE_HOURS else None


@never_cache
@staff_member_required
def incident(request, incident_id: int):
    try:
        context = incident_page(incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404(f"No incident #{incident_id}.") from None
    return page(request, "dashboard/incident.html", context, now=timezone.now())


def _one_click_silence(request, make, *, redirect_to: str):
    """The fault and incident pages' "silence 2 h": operators only; `make(duration, author,
    comment)` makes the silence; back to the page, which says until when."""
    if not request.user.has_perm("oncall.add_silence"):
        raise PermissionDenied("Only operators may silence.")
    hours = _silence_hours(request)
    if hours is None:
        return HttpResponseBadRequest(
            f"hours must be one of {', '.join(map(str, SILENCE_HOURS))}.", content_type="text/plain"
        )
    try:
        make(
            duration=timedelta(hours=hours),
            author=request.user.get_username(),
            comment=request.POST.get("comment", "")[:SILENCE_COMMENT_CHARS],
        )
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain")
    return HttpResponseRedirect(redirect_to + "#muted", status=303)


@never_cache
@require_POST
@staff_member_required
def fault_silence(request, fault_id: int):
    fault = FaultRecord.objects.select_related("fault_type").filter(pk=fault_id).first()
    if fault is None:
        raise Http404(f"No fault #{fault_id}.")
    return _one_click_silence(
        request,
        lambda **kw: silence_for_fault(fault=fault, **kw),
        redirect_to=reverse("dashboard-fault", args=[fault.pk]),
    )


def _fault_or_404(fault_id: int) -> FaultRecord:
    fault = FaultRecord.objects.select_related("fault_type").filter(pk=fault_id).first()
    if fault is None:
        raise Http404(f"No fault #{fault_id}.")
    return fault


@never_cache
@require_POST
@staff_member_required
def fault_snooze_view(request, fault_id: int):
    """Snooze one fault for a while or for more occurrences (operators), back to its page."""
    if not request.user.has_perm("oncall.add_faultsnooze"):
        raise PermissionDenied("Only operators may snooze faults.")
    fault = _fault_or_404(fault_id)
    choice = SNOOZE_CHOICES.get(request.POST.get("for", ""))
    if choice is None:
        return HttpResponseBadRequest(
            f"for must be one of {', '.join(SNOOZE_CHOICES)}.", content_type="text/plain"
        )
    unit, amount = choice
    fault_snooze(
        fault=fault,
        author=request.user.get_username(),
        until=timezone.now() + timedelta(hours=amount) if unit == "h" else None,
        occurrences=amount if unit == "n" else None,
        comment=request.POST.get("comment", "")[:SILENCE_COMMENT_CHARS],
    )
    return HttpResponseRedirect(reverse("dashboard-fault", args=[fault.pk]) + "#muted", status=303)


@never_cache
@require_POST
@staff_member_required
def fault_unsnooze_view(request, fault_id: int):
    if not request.user.has_perm("oncall.delete_faultsnooze"):
        raise PermissionDenied("Only operators may unsnooze faults.")
    fault = _fault_or_404(fault_id)
    fault_unsnooze(fault=fault)
    return HttpResponseRedirect(reverse("dashboard-fault", args=[fault.pk]) + "#muted", status=303)


@never_cache
@require_POST
@staff_member_required
def incident_silence(request, incident_id: int):
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise Http404(f"No incident #{incident_id}.")
    return _one_click_silence(
        request,
        lambda **kw: silence_for_incident(incident=incident, **kw),
        redirect_to=reverse("dashboard-incident", args=[incident.pk]),
    )


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
