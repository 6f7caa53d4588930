"""control: the daily control table (R-6.4) — a member's table of the day, its export, the
team overview and the team's printout (views in control.views_table)."""

from django.urls import path

from yingke.control import views_table as views

urlpatterns = [
    path("today/", views.today, name="today"),
    path("today/export.<str:fmt>", views.today_export, name="today_export"),
    path("team/", views.team, name="team"),
    path("team/print/", views.team_print, name="team_print"),
]
