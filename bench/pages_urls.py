"""The product's URLs, plus the bare view the pages bench compares them with."""

from django.urls import path

from dealdesk.urls import urlpatterns as product_urlpatterns

from . import pages_views

urlpatterns = [
    *product_urlpatterns,
    path("bench/bare-queue/", pages_views.bare_queue, name="bench_bare_queue"),
]
