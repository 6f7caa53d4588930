"""URLs of the tracking pages (leads); included by tracking/urls.py."""

from django.http import Http404
from django.urls import path


def _placeholder(request, *args, **kwargs):  # replaced by the leads pages
    raise Http404


urlpatterns = [path("", _placeholder, name="leads"), path("leads/<int:pk>/", _placeholder, name="lead")]
