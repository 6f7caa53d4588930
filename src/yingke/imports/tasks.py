"""Import jobs (R-3.2, R-12.4): the web page and the API queue a run, a worker executes it.

`run_import(run_id)` executes a queued ImportRun through the one engine
(`engine.execute_run`) with the rights of the member of staff who started it (nobody's,
SYSTEM, for a run queued without a user). It is idempotent: a run that is not "queued"
any more (already running, done, or run by a second copy of the message) is left alone:
the claim is one conditional UPDATE (queued → running), so two workers cannot both start it.

Periodic: every five minutes runs whose worker died are marked "interrupted"
(`engine.mark_interrupted`), and uploads left at the preview for a day are discarded.
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
from yingke.imports.models import ImportRun

PROGRESS_EVERY = 5.0  # seconds between progress lines in the worker's output
ABANDONED_AFTER = dt.timedelta(days=1)


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
