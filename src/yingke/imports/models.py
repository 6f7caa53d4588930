"""The record of every import (R-12.4): file, checksum, who, when, counts, state, and the
rejected rows with their reasons (for the result page and the errors file)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingke.core.models import Property, User


class ImportRun(models.Model):
    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        VISITS = "visits", _("Visits")
        STAYS = "stays", _("Stays")

    class State(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        INTERRUPTED = "interrupted", _("Interrupted")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        WEB = "web", _("Web page")
        CLI = "cli", _("Command line")

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="import_runs",
                                 verbose_name=_("property"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.CLI)
    file_name = models.CharField(_("file"), max_length=255)
    stored_path = models.CharField(max_length=500, blank=True, editable=False)  # uploaded copy, web imports
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("imported by"))
    # encoding, sheet, dry_run, mapping ({column key: header position}) …
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    dry_run = models.BooleanField(_("dry run"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # written with every batch
    pid = models.IntegerField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True)
    rows_total = models.IntegerField(_("rows in the file"), null=True, blank=True)  # estimate until done
    rows_done = models.IntegerField(_("rows done"), default=0)
    last_line = models.IntegerField(default=0)  # last line of the last committed batch
    created = models.IntegerField(_("created"), default=0)
    updated = models.IntegerField(_("updated"), default=0)
    unchanged = models.IntegerField(_("unchanged"), default=0)
    rejected = models.IntegerField(_("rejected"), default=0)
    new_outlets = models.JSONField(default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    resumes = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("finishes the interrupted import"))

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["property", "-created_at", "-id"], name="importrun_prop_created")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class ImportProblem(models.Model):
    """One problem of a rejected row: line as the user sees it, column, value, reason."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    line = models.IntegerField(_("line"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    value = models.TextField(_("value"), blank=True)
    reason = models.TextField(_("reason"))
    ref = models.CharField(max_length=100, blank=True)
    # The row's cells as read (first problem of a row only), for the errors file.
    cells = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["run", "line", "id"]
        indexes = [models.Index(fields=["run", "line"], name="importproblem_run_line")]

    def __str__(self):
        return f"{self.line}: {self.reason}"
