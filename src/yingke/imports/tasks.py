"""Import jobs (R-3.2, R-12.4): the web page and the API queue a run, a worker executes it.

`run_import(run_id)` executes a queued ImportRun through the one engine
(`engine.execute_run`) with the rights of the member of staff who started it (nobody's,
SYSTEM, for a run queued without a user). It is idempotent: a run that is not "queued"
any more (already running, done, or run by a second copy of the message) is left alone:
the claim is one conditional UPDATE (queued → running), so two workers cannot both start it.

Periodic: every five minutes runs whose worker died are marked "interrupted"
(`engine.mark_interrupted`), uploads left at the preview for a day are discarded, and
every night the guest data a finished run keeps (the stored copy of the upload, the
values and cells of its rejected rows) is purged after the retention period
(`purge_expired`, R-12.2); the run, its counts and the reasons stay.
"""

import datetime as dt
import os
import socket
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from huey import crontab

from yingke.core import permissions
from yingke.core.jobs import huey, report
from yingke.imports.models import ImportProblem, ImportRun

PROGRESS_EVERY = 5.0  # seconds between progress lines in the worker's output
ABANDONED_AFTER = dt.timedelta(days=1)
RETENTION_DAYS = 30  # settings.IMPORT_RETENTION_DAYS overrides it


def actor_of(run: ImportRun):
    return run.user if run.user_id else permissions.SYSTEM


def check_allowed(actor, run: ImportRun) -> None:
    """The rights the web page asked for, asked again when the job runs (the member of
    staff may have been moved or deactivated meanwhile)."""
    permissions.require(actor, permissions.IMPORT, run.property)
    if run.kind == ImportRun.Kind.CUSTOMERS:
        permissions.require(actor, permissions.CREATE, run.property)


def describe(run: ImportRun) -> str:
    return _("import #%(id)d (%(kind)s, %(file)s, %(property)s)") % {
        "id": run.pk, "kind": run.get_kind_display(), "file": run.file_name, "property": run.property.code}


def summary_line(run: ImportRun) -> str:
    counts = _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, rejected %(rejected)d") % {
        "created": run.created, "updated": run.updated, "unchanged": run.unchanged, "rejected": run.rejected}
    text = _("%(import)s: %(state)s — %(counts)s") % {"import": describe(run), "state": run.get_state_display(),
                                                     "counts": counts}
    return text + (f" ({run.message})" if run.message else "")


@huey.task()
def run_import(run_id: int) -> None:
    from yingke.imports import engine

    # The claim: only the copy of the task that moves the run out of "queued" runs it.
    claimed = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).update(
        state=ImportRun.State.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(), pid=os.getpid(),
        host=socket.gethostname())
    if not claimed:
        report(_("import #%(id)d is not queued any more; nothing to do.") % {"id": run_id})
        return
    run = ImportRun.objects.select_related("property", "user").get(pk=run_id)
    actor = actor_of(run)
    try:
        check_allowed(actor, run)
    except (PermissionDenied, Http404) as e:
        ImportRun.objects.filter(pk=run.pk).update(
            state=ImportRun.State.FAILED, finished_at=timezone.now(),
            message=str(e) or _("The member of staff who started this import may no longer import here."))
        report(summary_line(ImportRun.objects.select_related("property").get(pk=run.pk)))
        return
    last = {"at": time.monotonic()}

    def on_progress(r):
        now = time.monotonic()
        if now - last["at"] >= PROGRESS_EVERY:
            last["at"] = now
            report(_("%(import)s: %(done)s of about %(total)s rows") % {
                "import": describe(r), "done": f"{r.rows_done:,}", "total": f"{r.rows_total or 0:,}"})

    report(_("%(import)s started") % {"import": describe(run)})
    language = (run.options or {}).get("language")
    # Reasons of rejected rows are stored in the language of whoever started the import.
    with translation.override(language if language in dict(settings.LANGUAGES) else translation.get_language()):
        run = engine.execute_run(run, actor=actor, on_progress=on_progress)
    report(summary_line(run))


@huey.periodic_task(crontab(minute="*/5"))
def find_interrupted_imports() -> None:
    from yingke.imports import engine

    count = engine.mark_interrupted()
    if count:
        report(ngettext("%(count)d import whose process ended is marked interrupted.",
                        "%(count)d imports whose process ended are marked interrupted.", count) % {"count": count})


@huey.periodic_task(crontab(minute="17"))
def discard_abandoned_uploads() -> None:
    """Uploads never confirmed (state "preview") for a day: the stored copy is removed."""
    from yingke.imports import uploads

    count = uploads.discard_abandoned(timezone.now() - ABANDONED_AFTER)
    if count:
        report(ngettext("%(count)d upload left unconfirmed for a day was discarded.",
                        "%(count)d uploads left unconfirmed for a day were discarded.", count) % {"count": count})


def retention() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "IMPORT_RETENTION_DAYS", RETENTION_DAYS))


def purge_expired(now=None) -> int:
    """Runs finished longer ago than the retention period: the stored upload is removed and
    the values and cells of their rejected rows are cleared (line, column and reason stay).
    Returns the number of runs purged; a run is purged once."""
    from yingke.imports import uploads

    cutoff = (now or timezone.now()) - retention()
    runs = (ImportRun.objects.filter(state__in=uploads.FINISHED, finished_at__lt=cutoff)
            .exclude(options__has_key="purged").only("id", "stored_path", "options"))
    count = 0
    for run in runs.iterator():
        uploads.remove_file(run.stored_path)
        ImportProblem.objects.filter(run=run).update(value="", cells=None)
        options = dict(run.options or {})
        options["purged"] = True
        ImportRun.objects.filter(pk=run.pk).update(options=options)
        count += 1
    return count


@huey.periodic_task(crontab(minute="43", hour="3"))
def purge_expired_imports() -> None:
    count = purge_expired()
    if count:
        report(ngettext("%(count)d finished import older than the retention period: its stored file and "
                        "rejected values were removed.",
                        "%(count)d finished imports older than the retention period: their stored files and "
                        "rejected values were removed.", count) % {"count": count})
