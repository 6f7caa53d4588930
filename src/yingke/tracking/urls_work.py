"""URLs of the tracking pages (follow-ups, tasks, commitments, cadences); included by tracking/urls.py."""

from django.http import Http404
from django.urls import path


def _placeholder(request, *args, **kwargs):  # replaced by the follow-up pages
    raise Http404


urlpatterns = [path("tasks/", _placeholder, name="tasks"),
               path("customers/<int:customer_id>/card/", _placeholder, name="customer_card")]
