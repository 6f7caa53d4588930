"""The site's URLs. Core (login, settings) knows no domain app: the home page and the
search box, which show guest files, are wired here."""

from django.urls import include, path

from yingke.customers.views import home, search

urlpatterns = [
    path("api/", include("yingke.api.urls")),
    path("", home.home, name="home"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.search_suggest, name="search_suggest"),
    path("settings/tags/", include("yingke.customers.tag_urls")),
    path("", include("yingke.core.urls")),
    path("customers/", include("yingke.customers.urls")),
    path("duplicates/", include("yingke.customers.duplicate_urls")),
    path("visits/", include("yingke.visits.urls")),
    path("imports/", include("yingke.imports.urls")),
    path("grading/", include("yingke.grading.urls")),
    path("reports/", include("yingke.reports.urls")),
    path("control/", include("yingke.control.urls")),
    path("complaints/", include("yingke.complaints.urls")),
    path("tracking/", include("yingke.tracking.urls")),
    path("notifications/", include(("yingke.core.urls_notifications", "notifications"))),
    path("f/", include(("yingke.complaints.urls_public", "feedback"))),
]
