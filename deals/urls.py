from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("asks/<int:pk>/", views.ask_detail, name="ask_detail"),
]
