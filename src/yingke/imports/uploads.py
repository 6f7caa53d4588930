"""Imports started from the web page and the API (R-3.2, R-12.4): upload → preview →
confirm → a job in the worker. The views and the API endpoints are thin adapters over
these functions, which ask the permission module (IMPORT; customers also CREATE).

Who: general managers and administrators import into their own properties
(`require(actor, IMPORT, property)`); a customers import also needs the right to open
files (CREATE: not administrators). A user sees the runs of the properties they may
import into (`visible_runs`), nothing else: another property's run is "not found".

Files: an upload is written straight to $YINGKE_HOME/imports/<random>.<suffix>, mode
0600 (`store_upload`; `LimitedUploadHandler` for the web page, which stops reading past
`settings.IMPORT_MAX_BYTES`). The engine reads it from there; a run's messages name the
file as the user called it (`user_text`).

States: `begin` checks the file (`engine.preview`: an unreadable file or a header without
a required column is refused, the stored copy removed, nothing recorded) and records a
run waiting for confirmation ("preview"); `confirm` stores the column mapping the user
chose and queues it (`tasks.run_import` after commit); `discard` drops it. An upload of
a file whose earlier import was interrupted (same property, kind and SHA-256) is offered
as finishing that import: the engine skips nothing and doubles nothing (idempotent rows).
"""

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yingke.core import permissions
from yingke.core.models import Property
from yingke.core.roles import IMPORTERS, Role
from yingke.customers.identity import mask_id
from yingke.home import PRIVATE_DIR, PRIVATE_FILE
from yingke.imports.models import ImportRun

KNOWN_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
ENCODINGS = [
    ("", gettext_lazy("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("gb18030", "GB18030 / GBK / GB2312"),
    ("big5", "Big5"),
    ("utf-16", "UTF-16"),
]
MAX_FILE_NAME = 255
Kind, State = ImportRun.Kind, ImportRun.State
ACTIVE = (State.QUEUED, State.RUNNING)
FINISHED = (State.DONE, State.FAILED, State.INTERRUPTED, State.CANCELLED)


class TooLarge(Exception):
    pass


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def too_large_message() -> str:
    return _("The file is larger than %(mb)d MB, the most an import accepts here. Split it into smaller files "
             "(or import it with “yingke import” on the server).") % {"mb": max_bytes() // (1024 * 1024)}


# ---- who may import where ---------------------------------------------------------------------

def importable_properties(user):
    """The properties `user` may import into (IMPORT), by code."""
    if not (permissions.is_system(user) or permissions.is_staff(user)):
        return Property.objects.none()
    qs = Property.objects.order_by("code")
    return qs.filter(pk__in=[p.pk for p in qs if permissions.can(user, permissions.IMPORT, p)])


def may_import(user) -> bool:
    """Whether `user` may import into some property (cheap: shown in every page's menu)."""
    if permissions.is_system(user):
        return True
    if not permissions.is_staff(user) or user.role not in IMPORTERS:
        return False  # IMPORT needs one of these roles, whatever the property
    if user.is_superuser:
        return Property.objects.exists()
    return any(permissions.can(user, permissions.IMPORT, Property(pk=pk)) for pk in user.property_ids())


def allowed_kinds(user, prop) -> list[str]:
    """What `user` may import into `prop`: visits and stays with IMPORT; customers with CREATE too."""
    if not permissions.can(user, permissions.IMPORT, prop):
        return []
    kinds = [Kind.VISITS, Kind.STAYS]
    if permissions.can(user, permissions.CREATE, prop):
        kinds.insert(0, Kind.CUSTOMERS)
    return [str(k) for k in kinds]


def require_kind(user, kind: str, prop) -> None:
    permissions.require(user, permissions.IMPORT, prop)
    if kind == Kind.CUSTOMERS:
        try:
            permissions.require(user, permissions.CREATE, prop)
        except PermissionDenied:
            raise PermissionDenied(_("Your role may import visits and stays here, but not guest files.")) from None


def require_importer(user) -> None:
    """403 for a member of staff who may import nowhere (the import pages are not theirs)."""
    if not may_import(user):
        raise PermissionDenied(_("Your role may not import files."))


def visible_runs(user):
    """Runs of the properties `user` may import into, newest first."""
    return ImportRun.objects.filter(property__in=importable_properties(user)).select_related("property", "user")


# ---- who sees the values of rejected rows (R-12.1, R-1.2, R-12.2) ---------------------------------

def sees_problem_values(user, run: ImportRun) -> bool:
    """The one rule for the values and cells of a run's rejected rows (page, API, downloads).

    Rejected rows hold guest data as the file had it (names, mobiles, ID numbers), for
    customer imports and for visits and stays alike. They are shown to the member of staff
    who uploaded the file and to the general managers of the property; everyone else who
    may see the run (administrators, R-1.2) sees the counts and the reasons only.
    """
    if permissions.is_system(user):
        return True
    if not permissions.sees_customers(user) or not permissions.can(user, permissions.IMPORT, run.property):
        return False
    return run.user_id == user.pk or user.role == Role.GENERAL_MANAGER


def is_uploader(user, run: ImportRun) -> bool:
    return permissions.is_staff(user) and run.user_id is not None and run.user_id == user.pk


def id_number_index(run: ImportRun) -> int | None:
    """Position of the ID-number column in the run's header (customer imports): as mapped,
    else as detected; None when there is none."""
    if run.kind != Kind.CUSTOMERS:
        return None
    from yingke.imports.columns import match_header
    from yingke.imports.customers import CustomerImporter

    options = run.options or {}
    header = [str(h) for h in options.get("header") or []]
    mapping = options.get("mapping") if isinstance(options.get("mapping"), dict) else {}
    index = mapping.get("id_number")
    if not isinstance(index, int) and header:
        index = match_header(header, CustomerImporter.columns)[0].get("id_number")
    return index if isinstance(index, int) and 0 <= index < len(header) else None


def id_number_columns(run: ImportRun) -> set[str]:
    """Header keys (columns.header_key) of the ID-number column of a customer import. Any
    other header spelled like an ID number is recognised by `_is_id_column`."""
    from yingke.imports.columns import header_key

    index = id_number_index(run)
    return set() if index is None else {header_key(str((run.options or {})["header"][index]))}


def write_rejected_rows(user, run: ImportRun, path) -> int:
    """The errors file (engine.write_errors) as `user` may have it: the uploader gets the rows
    as the file had them; a general manager who did not upload it gets ID numbers masked."""
    import csv

    from yingke.imports import engine

    rows = engine.write_errors(run, path)
    index = id_number_index(run)
    if index is None or is_uploader(user, run):
        return rows
    masked = f"{path}.masked"
    with open(path, encoding="utf-8-sig", newline="") as f, open(masked, "w", encoding="utf-8-sig",
                                                                   newline="") as out:
        writer = csv.writer(out)
        for n, row in enumerate(csv.reader(f)):  # streamed: an errors file may be large
            if n and index < len(row) - 1 and row[index].strip():
                row[index] = mask_id(row[index].strip())
            writer.writerow(row)
    os.replace(masked, path)
    return rows


def _is_id_column(run: ImportRun, column: str, id_columns: set[str]) -> bool:
    from yingke.imports.columns import header_key, match_header
    from yingke.imports.customers import CustomerImporter

    if run.kind != Kind.CUSTOMERS or not column:
        return False
    return header_key(column) in id_columns or \
        match_header([column], CustomerImporter.columns)[0].get("id_number") == 0


def shown_problem_value(user, run: ImportRun, problem, id_columns=None) -> str:
    """A rejected row's value as `user` may see it: hidden without the right, an ID number
    masked (the full value is only in the errors file, for the uploader)."""
    if not sees_problem_values(user, run):
        return ""
    if id_columns is None:
        id_columns = id_number_columns(run)
    if problem.value and _is_id_column(run, problem.column or "", id_columns):
        return mask_id(problem.value.strip())
    return problem.value


def require_rejected_rows(user, run: ImportRun) -> None:
    """Downloading a run's rejected rows is an export of guest data (R-12.2): EXPORT, and
    the right to see the values."""
    permissions.require(user, permissions.EXPORT)
    if not sees_problem_values(user, run):
        raise PermissionDenied(_("Only who uploaded the file and the general managers of the property may "
                                 "download its rejected rows."))


def require_uploader(user, run: ImportRun) -> None:
    """Start or discard an upload waiting for confirmation: only who uploaded it (404 for others)."""
    from django.http import Http404

    if not is_uploader(user, run):
        raise Http404


# ---- the stored file ----------------------------------------------------------------------------

def upload_dir() -> Path:
    path = Path(settings.HOME) / "imports"
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    return path


def safe_file_name(name: str) -> str:
    """The user's file name for display: one line, printable, at most 255 characters."""
    name = re.sub(r"[\x00-\x1f\x7f-\x9f/\\]", "", os.path.basename(str(name or ""))).strip()
    name = name.encode("utf-8", "replace").decode()  # a lone surrogate cannot be stored
    if len(name) > MAX_FILE_NAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: MAX_FILE_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 10 \
            else name[:MAX_FILE_NAME]
    return name or "upload"


def _new_path(original_name: str) -> tuple[Path, int]:
    suffix = Path(str(original_name or "")).suffix.lower()
    suffix = suffix if suffix in KNOWN_SUFFIXES else ""
    for _attempt in range(5):
        path = upload_dir() / f"{secrets.token_hex(16)}{suffix}"
        try:
            return path, os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        except FileExistsError:  # pragma: no cover - 128 random bits
            continue
    raise OSError("cannot create an upload file")


class StoredUpload(UploadedFile):
    """An upload already written to its place under $YINGKE_HOME/imports/."""

    def __init__(self, path: Path, name: str, size: int, content_type=None):
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.stored_path = path

    def open(self, mode="rb"):  # pragma: no cover - the engine reads the path
        return open(self.stored_path, mode)


def store_upload(uploaded) -> tuple[Path, str]:
    """Write an uploaded file to its private place: (path, the user's file name).
    Raises TooLarge (nothing kept) past the size limit."""
    name = safe_file_name(getattr(uploaded, "name", ""))
    if isinstance(uploaded, StoredUpload):
        return uploaded.stored_path, name
    if uploaded.size is not None and uploaded.size > max_bytes():
        raise TooLarge
    path, fd = _new_path(name)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in uploaded.chunks():
                written += len(chunk)
                if written > max_bytes():
                    raise TooLarge
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, name


def remove_file(path) -> None:
    if path:
        p = Path(path)
        if p.parent == upload_dir():  # only our own uploads, never a CLI user's file
            p.unlink(missing_ok=True)


class LimitedUploadHandler(FileUploadHandler):
    """Writes the form's one `file` field straight to its private place, and stops keeping
    it past the size limit (the rest of the body is read and dropped, so the page can say
    why instead of the connection being cut)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large = False
        self.path = self.fd = None
        self.written = 0

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != "file" or self.path is not None:
            raise SkipFile
        self.path, self.fd = _new_path(file_name)

    def receive_data_chunk(self, raw_data, start):
        if self.fd is None:
            return None
        self.written += len(raw_data)
        if self.written > max_bytes():
            self.too_large = True
            self._drop()
            raise SkipFile
        os.write(self.fd, raw_data)
        return None

    def file_complete(self, file_size):
        if self.fd is None:
            return None
        os.close(self.fd)
        self.fd = None
        return StoredUpload(self.path, self.file_name, file_size, self.content_type)

    def upload_interrupted(self):
        self._drop()

    def _drop(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def user_text(run: ImportRun, text: str) -> str:
    """A run's message, naming the file as the user called it."""
    return localise(text, run.stored_path, run.file_name) if run.stored_path else (text or "")


# ---- the flow -----------------------------------------------------------------------------------

def load_preview(kind: str, path, *, encoding=None, sheet=None):
    """The engine's preview of a stored file. When the file reads but its header does not
    fit, the engine still offers the best-matching of the first rows as the header, so that
    the user can map the columns by hand; `.error` keeps the reason until they do."""
    from yingke.imports import engine

    return engine.preview(kind, path, encoding=encoding or None, sheet=sheet or None)


def begin(actor, kind: str, prop, uploaded, *, encoding: str = "", sheet: str = ""):
    """Store an upload and read its first rows: (run waiting for confirmation, preview).
    Raises PermissionDenied, TooLarge, or ValidationError({"file": …}) for a file that
    cannot be read, with nothing kept. A header that does not fit is not refused here:
    the preview page lets the user map the columns (and cannot start until they do)."""
    from yingke.imports import engine
    from yingke.imports.reading import FileError

    require_kind(actor, kind, prop)
    path, name = store_upload(uploaded)
    try:
        preview = load_preview(kind, path, encoding=encoding, sheet=sheet)
        if preview.table is None:
            raise ValidationError({"file": [localise(preview.error, path, name)]})
        try:
            run = engine.start_run(kind, prop, path, user=permissions.history_user(actor),
                                   source=ImportRun.Source.WEB, file_name=name, encoding=encoding or None,
                                   sheet=sheet or None)
        except FileError as e:
            raise ValidationError({"file": [localise(str(e), path, name)]}) from None
    except BaseException:
        remove_file(path)
        raise
    ImportRun.objects.filter(pk=run.pk).update(state=State.PREVIEW)
    run.state = State.PREVIEW
    return run, preview


def localise(text: str, path, name: str) -> str:
    """A message about the stored copy, naming the file as the user called it."""
    path = Path(path)
    return (text or "").replace(str(path), name).replace(path.name, name)


def preview_of(run: ImportRun, *, encoding: str | None = None, sheet: str | None = None):
    """The preview of a stored upload (with the options it was uploaded with, or new ones)."""
    options = run.options or {}
    preview = load_preview(run.kind, run.stored_path,
                           encoding=(encoding if encoding is not None else options.get("encoding")) or None,
                           sheet=(sheet if sheet is not None else options.get("sheet")) or None)
    preview.error = localise(preview.error, run.stored_path, run.file_name)
    return preview


def check_mapping(preview, mapping: dict) -> list[str]:
    """Messages for a mapping that cannot start: a column chosen twice, a required one missing,
    a cell index outside the header."""
    labels = {key: str(label) for key, label, _required in preview.columns}
    errors, seen = [], {}
    width = len(preview.names)
    for key, index in mapping.items():
        if key not in labels:
            errors.append(_("Unknown column: %(key)s.") % {"key": key})
        elif not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < width:
            errors.append(_("%(label)s: no such column in the file.") % {"label": labels[key]})
        else:
            seen.setdefault(index, []).append(key)
    for index, keys in seen.items():
        if len(keys) > 1:
            errors.append(_("Column %(column)s is chosen for %(labels)s; choose one.")
                          % {"column": column_name(preview, index), "labels": listing(labels[k] for k in keys)})
    missing = [str(label) for key, label, required in preview.columns if required and key not in mapping]
    if missing:
        errors.append(_("Required columns are not mapped: %(columns)s. Choose for each the column of the file "
                        "that holds it.") % {"columns": listing(missing)})
    return errors


def listing(items) -> str:
    """Names in a sentence: 日期、金额 in Chinese, "date, amount" in English."""
    return ("、" if (translation.get_language() or "").startswith("zh") else ", ").join(str(i) for i in items)


def column_name(preview, index: int) -> str:
    name = preview.names[index] if index < len(preview.names) else ""
    return f"“{name}”" if name else _("no. %(n)d") % {"n": index + 1}


def confirm(actor, run: ImportRun, mapping: dict, *, dry_run: bool = False, encoding=None, sheet=None) -> ImportRun:
    """Queue a run waiting for confirmation with the chosen mapping; the worker runs it."""
    from yingke.imports.tasks import run_import

    require_kind(actor, run.kind, run.property)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.state != State.PREVIEW:
            raise ValidationError(_("This import has already been started or discarded."))
        options = dict(locked.options or {})
        options["mapping"] = {k: int(v) for k, v in mapping.items()}
        if encoding is not None:
            options["encoding"] = encoding or None
        if sheet is not None:
            options["sheet"] = sheet or None
        # The job writes its messages (reasons of rejected rows) in the language of whoever started it.
        options["language"] = translation.get_language() or settings.LANGUAGE_CODE
        options["queued_at"] = timezone.now().isoformat()
        locked.options, locked.dry_run, locked.state = options, bool(dry_run), State.QUEUED
        if dry_run:
            locked.resumes = None  # a check finishes nothing
        locked.save(update_fields=["options", "dry_run", "state", "resumes"])
        transaction.on_commit(lambda: run_import(locked.pk))
    locked.refresh_from_db()
    return locked


def discard(actor, run: ImportRun) -> None:
    require_kind(actor, run.kind, run.property)
    with transaction.atomic():
        updated = ImportRun.objects.filter(pk=run.pk, state=State.PREVIEW).update(
            state=State.CANCELLED, finished_at=timezone.now())
    if updated:
        remove_file(run.stored_path)


def discard_abandoned(before) -> int:
    count = 0
    for run in ImportRun.objects.filter(state=State.PREVIEW, created_at__lt=before):
        if ImportRun.objects.filter(pk=run.pk, state=State.PREVIEW).update(state=State.CANCELLED,
                                                                          finished_at=timezone.now()):
            remove_file(run.stored_path)
            count += 1
    return count


def interrupted_predecessor(run: ImportRun):
    """The earlier, interrupted import of the same file that this run finishes, if any."""
    if run.resumes_id:
        return run.resumes
    return (ImportRun.objects.filter(property=run.property_id, kind=run.kind, sha256=run.sha256,
                                     state=State.INTERRUPTED, created_at__lte=run.created_at)
            .exclude(pk=run.pk).order_by("-created_at", "-id").first())


# ---- progress --------------------------------------------------------------------------------------

@dataclass
class Progress:
    done: int
    total: int | None
    fraction: float | None  # 0…1
    rows_per_second: float | None
    seconds_left: int | None
    elapsed: float | None


def progress(run: ImportRun, now=None) -> Progress:
    """Rows done of (estimated) total, the speed so far and the time left at that speed."""
    now = now or timezone.now()
    total = run.rows_total if run.rows_total else None
    if run.state == State.DONE:
        total = run.rows_done
    fraction = min(run.rows_done / total, 1.0) if total else (1.0 if run.state == State.DONE else None)
    elapsed = rate = left = None
    if run.started_at:
        end = run.finished_at or (run.heartbeat_at if run.state != State.RUNNING else now) or now
        elapsed = max((end - run.started_at).total_seconds(), 0.0)
        if elapsed > 0 and run.rows_done:
            rate = run.rows_done / elapsed
            if total and run.state == State.RUNNING:
                left = int(max(total - run.rows_done, 0) / rate + 0.5)
    return Progress(done=run.rows_done, total=total, fraction=fraction, rows_per_second=rate, seconds_left=left,
                    elapsed=elapsed)


def attach_progress(runs) -> None:
    """Set `.p` (Progress) on each run of a page, for the list."""
    now = timezone.now()
    for run in runs:
        run.p = progress(run, now)


def queued_for(run: ImportRun, now=None) -> float:
    """Seconds a queued run has waited for a worker."""
    try:
        since = dt.datetime.fromisoformat((run.options or {}).get("queued_at") or "")
    except ValueError:
        since = run.created_at
    return max(((now or timezone.now()) - since).total_seconds(), 0.0)


def encoding_label(encoding: str) -> str:
    """utf-8-sig → UTF-8, gb18030 → GB18030 …, for people."""
    e = (encoding or "").lower().replace("_", "-")
    if e.startswith("utf-8") or e == "utf8":
        return "UTF-8"
    return e.upper()
