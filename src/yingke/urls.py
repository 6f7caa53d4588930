from django.urls import include, path

urlpatterns = [
    path("api/", include("yingke.api.urls")),
    path("", include("yingke.core.urls")),
    path("customers/", include("yingke.customers.urls")),
]
