"""/favicon.ico answers with the portal's icon, not a 404 on every page a browser opens."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_favicon_is_served_and_cached_without_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"</svg>" in response.content
    assert "max-age=86400" in response["Cache-Control"]
