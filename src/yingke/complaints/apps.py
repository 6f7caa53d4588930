from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaints and guest feedback (R-8.1–R-8.5, R-2.6): the six steps, time limits and
    escalation, the public feedback page."""

    name = "yingke.complaints"
    label = "complaints"
    verbose_name = _("Complaints and feedback")

    def ready(self):
        from yingke.complaints.notices import RENDERERS
        from yingke.core import notify

        notify.RENDERERS.update(RENDERERS)

        from yingke.complaints import control_section, file_flags

        control_section.register()  # the control table's "complaints" section
        file_flags.register()  # the red "open complaint" flag in lists and search (issue 16)
