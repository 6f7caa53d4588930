"""grading URLs: grading runs, parameters and overrides (urls_grades), customer modules,
their targets and churn (urls_segments)."""

from yingke.grading import urls_grades, urls_segments

app_name = "grading"
urlpatterns = [*urls_grades.urlpatterns, *urls_segments.urlpatterns]
