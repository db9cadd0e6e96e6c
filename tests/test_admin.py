"""Every model has an admin page with filters and search, and each page opens."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

OURS = ("deals", "stakeholders")


def our_models():
    return [m for label in OURS for m in apps.get_app_config(label).get_models()]


def test_every_model_is_in_the_admin_with_filters_and_search():
    for model in our_models():
        model_admin = admin.site._registry.get(model)
        assert model_admin is not None, f"{model.__name__} has no admin"
        assert model_admin.search_fields, f"{model.__name__} admin has no search"
        assert model_admin.list_filter, f"{model.__name__} admin has no filters"


@pytest.mark.django_db
def test_each_admin_list_opens_for_a_superuser(admin_client):
    import django.core.management

    django.core.management.call_command("seed_demo", verbosity=0)
    for model in our_models():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = admin_client.get(url, {"q": "苏州"})
        assert response.status_code == 200, url
