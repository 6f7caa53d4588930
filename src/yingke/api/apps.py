from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "yingke.api"
    label = "api"
    verbose_name = "REST API"
