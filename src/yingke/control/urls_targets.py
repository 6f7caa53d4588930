"""control: position targets (R-6.3) and the target node analysis (R-6.5)."""

from django.urls import path

from yingke.control import views_targets as views

urlpatterns = [
    path("targets/", views.targets_page, name="targets"),
    path("targets/copy/", views.targets_copy, name="targets_copy"),
    path("targets/<int:user_id>/<str:kind>/<str:start>/", views.target_edit, name="target_edit"),
    path("nodes/", views.nodes_page, name="nodes"),
    path("nodes/export/<slug:table>.<str:fmt>", views.nodes_export, name="nodes_export"),
]
