"""URLs of the updates pages (included by deals/urls.py)."""

from django.urls import path

from . import updates_views

urlpatterns = [
    path("updates/", updates_views.updates_page, name="updates"),
    path("deals/<int:deal_pk>/update/", updates_views.update_write, name="update_write"),
    path("updates/<int:pk>/help-ask/", updates_views.update_help_ask, name="update_help_ask"),
]
