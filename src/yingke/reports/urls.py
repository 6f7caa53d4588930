"""reports URLs: the management dashboard (R-11.1, R-11.2) and its table exports (R-11.6)."""

from django.urls import path

from yingke.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="dashboard"),
    path("pareto/", views.pareto, name="pareto"),
    path("export/<slug:table>.<str:fmt>", views.export_table, name="export"),
    path("meal-periods/", views.meal_periods, name="meal_periods"),
]
