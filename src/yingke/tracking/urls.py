"""/tracking/: leads, follow-ups, tasks, commitments, cadences, visit plans, the pipeline and the
tracking reports (issue 15). Each group's patterns live in its own module."""

from yingke.tracking import urls_leads, urls_plans, urls_reports, urls_work

app_name = "tracking"
urlpatterns = [*urls_leads.urlpatterns, *urls_work.urlpatterns, *urls_plans.urlpatterns, *urls_reports.urlpatterns]
