"""control URLs (/control/): claims and the pool, assignment, targets and target nodes, the
daily control table, handover."""

from django.urls import include, path

app_name = "control"
urlpatterns = [
    path("", include("yingke.control.urls_table")),
    path("", include("yingke.control.urls_claims")),
    path("", include("yingke.control.urls_assign")),
    path("", include("yingke.control.urls_targets")),
    path("", include("yingke.control.urls_handover")),
]
