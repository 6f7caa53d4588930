"""complaints URLs (/complaints/): the complaints, their steps and photos, the settings, the
reports and the QR sheet. The public feedback page is in urls_public (/f/)."""

from django.urls import include, path

app_name = "complaints"
urlpatterns = [
    path("", include("yingke.complaints.urls_pages")),
    path("reports/", include("yingke.complaints.urls_reports")),
    path("qr/", include("yingke.complaints.urls_qr")),
]
