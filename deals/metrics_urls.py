"""URLs of the metrics pages (included by deals/urls.py)."""

from django.urls import path

from . import metrics_views

urlpatterns: list = [
    path("metrics/", metrics_views.metrics_page, name="metrics"),
]
