from django.urls import include, path

from . import ask_views, board_views, inbox_views, queue_views, views

urlpatterns = [
    path("", include("deals.metrics_urls")),
    path("", include("deals.updates_urls")),
    path("", views.home, name="home"),
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/team/", views.stakeholder_add, name="stakeholder_add"),
    path(
        "deals/<int:pk>/team/<int:stakeholder_id>/remove/",
        views.stakeholder_remove,
        name="stakeholder_remove",
    ),
    path("deals/<int:pk>/asks/new/", ask_views.ask_create, name="ask_create"),
    path("deals/<int:pk>/asks/coach/", ask_views.ask_coach, name="ask_coach"),
    path("asks/sent/", ask_views.asks_sent, name="asks_sent"),
    path("asks/<int:pk>/", ask_views.ask_detail, name="ask_detail"),
    path("asks/<int:pk>/<slug:action>/", ask_views.ask_act, name="ask_act"),
    path("queue/", queue_views.my_queue, name="my_queue"),
    path("queue/asks/<int:pk>/<slug:action>/", queue_views.queue_act, name="queue_act"),
    path("queue/team/", queue_views.team_queue, name="team_queue"),
    path(
        "queue/team/asks/<int:pk>/<slug:action>/",
        queue_views.queue_act,
        {"which": "team"},
        name="team_queue_act",
    ),
    path("queue/team/<int:member_id>/", queue_views.member_queue, name="member_queue"),
    path(
        "queue/team/<int:member_id>/asks/<int:pk>/<slug:action>/",
        queue_views.queue_act,
        {"which": "member"},
        name="member_queue_act",
    ),
    path("board/", board_views.board_page, name="board"),
    path("board/act/", board_views.board_act, name="board_act"),
    path("huddles/<int:pk>/", board_views.huddle_detail, name="huddle_detail"),
    path("huddles/<int:pk>/outcome/", board_views.huddle_outcome, name="huddle_outcome"),
    path("notifications/", inbox_views.notifications, name="notifications"),
    path("notifications/badge/", inbox_views.notification_badge, name="notification_badge"),
    path(
        "notifications/read-all/", inbox_views.notifications_read_all, name="notifications_read_all"
    ),
    path("notifications/<int:pk>/read/", inbox_views.notification_read, name="notification_read"),
    path("settings/chat/", inbox_views.chat_webhooks, name="chat_webhooks"),
    path(
        "settings/chat/<int:pk>/<slug:action>/",
        inbox_views.chat_webhook_act,
        name="chat_webhook_act",
    ),
]
