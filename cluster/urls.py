"""Server-rendered pages (dashboard)."""

urlpatterns: list = []
