"""URLs of the tracking pages (reports); included by tracking/urls.py."""

urlpatterns = []
