from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("settings/", views.preferences, name="settings"),
    path("people/options/", views.people_options, name="people_options"),
    path("people/<str:username>/", views.profile, name="profile"),
]
