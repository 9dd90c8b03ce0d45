"""A fault's admin page: acknowledge, resolve, ignore or reopen it with one button."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.dashboard.pages_data import add_fault

pytestmark = pytest.mark.django_db


def change_url(fault) -> str:
    return reverse("admin:diagnosis_faultrecord_change", args=[fault.pk])


def transition_url(fault) -> str:
    return reverse("admin:diagnosis_faultrecord_transition", args=[fault.pk])


def buttons(client, fault) -> list[str]:
    soup = BeautifulSoup(client.get(change_url(fault)).content, "html.parser")
    return [b["data-transition"] for b in soup.select("button[data-transition]")]


def staff(name: str, group: str):
    user = User.objects.create_user(name, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_an_operator_acknowledges_then_resolves_from_the_faults_page(client):
    fault = add_fault()
    client.force_login(staff("olga", "operator"))
    assert buttons(client, fault) == ["acknowledged", "resolved", "ignored"]

    response = client.post(
        transition_url(fault), {"action": "acknowledged", "note": "on it"}, follow=True
    )
    assert response.redirect_chain == [(change_url(fault), 302)]
    assert f"Fault #{fault.pk} acknowledged." in response.content.decode()
    fault.refresh_from_db()
    assert (fault.status, fault.acknowledged_by) == ("acknowledged", "olga")
    assert fault.events.get(action="acknowledged").note == "on it"
    assert buttons(client, fault) == ["resolved", "ignored", "reopened"]

    client.post(transition_url(fault), {"action": "resolved"})
    fault.refresh_from_db()
    assert (fault.status, fault.resolved_by) == ("resolved", "olga")


def test_a_transition_the_status_does_not_allow_is_refused_with_a_message(client):
    fault = add_fault(status="resolved")
    client.force_login(staff("olga", "operator"))
    response = client.post(transition_url(fault), {"action": "acknowledged"}, follow=True)
    assert "Cannot acknowledge a fault that is resolved." in response.content.decode()
    fault.refresh_from_db()
    assert fault.status == "resolved"


def test_viewers_get_no_buttons_and_cannot_post(client):
    fault = add_fault()
    client.force_login(staff("vic", "viewer"))
    assert buttons(client, fault) == []
    assert client.post(transition_url(fault), {"action": "acknowledged"}).status_code == 403
    fault.refresh_from_db()
    assert fault.status == "open"


def test_only_post_and_only_known_actions(client):
    fault = add_fault()
    client.force_login(staff("olga", "operator"))
    assert client.get(transition_url(fault)).status_code == 405
    response = client.post(transition_url(fault), {"action": "delete"}, follow=True)
    assert "Unknown action" in response.content.decode()
    assert (
        client.post(
            reverse("admin:diagnosis_faultrecord_transition", args=[999999]), {"action": "resolved"}
        ).status_code
        == 404
    )


def test_view_on_site_leads_to_the_dashboard_fault_page(admin_client):
    fault = add_fault()
    soup = BeautifulSoup(admin_client.get(change_url(fault)).content, "html.parser")
    assert soup.select_one("a.viewsitelink")["href"] == reverse("dashboard-fault", args=[fault.pk])
