"""URLs of the tracking pages (leads); included by tracking/urls.py."""

from django.urls import path

from yingke.tracking import views_leads as v

urlpatterns = [
    path("", v.lead_list, name="leads"),
    path("export.<str:fmt>", v.lead_export, name="leads_export"),
    path("board/", v.lead_board, name="board"),
    path("leads/new/", v.lead_new, name="lead_new"),
    path("leads/<int:pk>/", v.lead_detail, name="lead"),
    path("leads/<int:pk>/edit/", v.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/stage/", v.lead_stage, name="lead_stage"),
    path("leads/<int:pk>/follow-up/", v.lead_follow_up, name="lead_follow_up"),
    path("leads/<int:pk>/drop/", v.lead_drop, name="lead_drop"),
    path("leads/<int:pk>/reopen/", v.lead_reopen, name="lead_reopen"),
    path("leads/<int:pk>/convert/", v.lead_convert, name="lead_convert"),
]
