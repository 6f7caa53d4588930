"""reports URLs: the management dashboard."""

app_name = "reports"
urlpatterns = []
