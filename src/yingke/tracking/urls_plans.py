"""URLs of the tracking pages (plans); included by tracking/urls.py."""

urlpatterns = []
