from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "yingke.cli"
    label = "cli"
    verbose_name = "Command line"
