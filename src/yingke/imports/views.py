"""Import pages (R-3.2, R-12.4): upload → preview with the column mapping → progress →
result → the list of past imports. Thin adapters over imports.uploads, which asks the
permission module; the import itself runs in the job worker (imports.tasks).

A member of staff who may import nowhere gets 403 on every page; a run of a property they
may not import into is 404 (indistinguishable from a run that does not exist). The pages
show no guest files, only the values of rejected rows.
"""

import os
import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from yingke.core import export
from yingke.core.forms import add_service_errors
from yingke.core.models import AuditEvent
from yingke.core.pagination import InvalidCursor, Ordering, keyset_page
from yingke.imports import uploads
from yingke.imports.models import ImportProblem, ImportRun

State = ImportRun.State
LIST_PAGE = 25
PROBLEM_PAGE = 50
RUN_ORDER = Ordering("-created", "created_at", descending=True)
POLL_SECONDS = 1
WORKER_LATE_SECONDS = 15  # queued longer than this: say that a worker may be missing


class UploadForm(forms.Form):
    property = forms.ModelChoiceField(label=gettext_lazy("Property"), queryset=None, to_field_name="code",
                                      empty_label=None)
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), widget=forms.RadioSelect)
    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=False, max_length=uploads.MAX_FILE_NAME,
                           help_text=gettext_lazy("CSV (UTF-8, GBK or GB18030) or a spreadsheet (XLSX, XLS, ODS), "
                                                  "with Chinese or English column headers."))
    encoding = forms.ChoiceField(label=gettext_lazy("Text encoding"), choices=uploads.ENCODINGS, required=False,
                                 help_text=gettext_lazy("CSV files only; leave it to detection unless the preview "
                                                        "shows garbled characters."))
    sheet = forms.CharField(label=gettext_lazy("Worksheet"), max_length=100, required=False,
                            help_text=gettext_lazy("Spreadsheets only; default: the first sheet."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["property"].queryset = uploads.importable_properties(user)
        allowed = {k for p in self.fields["property"].queryset for k in uploads.allowed_kinds(user, p)}
        self.fields["kind"].choices = [(k, label) for k, label in ImportRun.Kind.choices if k in allowed]
        self.fields["file"].widget.attrs["accept"] = ",".join(sorted(uploads.KNOWN_SUFFIXES))

    def clean_sheet(self):
        sheet = self.cleaned_data.get("sheet", "")
        if "\x00" in sheet:
            raise ValidationError(_("Text may not contain null characters."))
        return sheet.strip()

    def clean(self):
        data = super().clean()
        prop, kind = data.get("property"), data.get("kind")
        if prop is not None and kind and kind not in uploads.allowed_kinds(self.user, prop):
            self.add_error("kind", _("Your role may import visits and stays here, but not guest files."))
        return data


def _importer_only(request):
    uploads.require_importer(request.user)


def _run_or_404(request, pk):
    _importer_only(request)
    return get_object_or_404(uploads.visible_runs(request.user), pk=pk)


# ---- list -------------------------------------------------------------------------------------

@login_required
def import_list(request):
    _importer_only(request)
    runs = uploads.visible_runs(request.user).exclude(state=State.PREVIEW).annotate(
        finished=Exists(ImportRun.objects.filter(resumes=OuterRef("pk")).exclude(state=State.PREVIEW)))
    cursor_invalid = False
    try:  # keyset pages (core.pagination): the list only grows, no OFFSET and no COUNT
        page = keyset_page(runs, RUN_ORDER, LIST_PAGE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    except InvalidCursor:
        page, cursor_invalid = keyset_page(runs, RUN_ORDER, LIST_PAGE), True
    uploads.attach_progress(page.rows)
    return render(request, "imports/list.html", {
        "title": _("Imports"), "page": page, "cursor_invalid": cursor_invalid,
        "several_properties": uploads.importable_properties(request.user).count() > 1,
        "waiting": uploads.visible_runs(request.user).filter(state=State.PREVIEW, user=request.user)[:5],
    })


# ---- upload -----------------------------------------------------------------------------------

@csrf_exempt
@login_required
def upload(request):
    """The upload handler must be in place before anything reads the body, CSRF included
    (Django's documented pattern): the file goes straight to its private place, and past
    the size limit it is dropped and the page says so."""
    _importer_only(request)
    handler = None
    if request.method == "POST":
        handler = uploads.LimitedUploadHandler(request)
        request.upload_handlers = [handler]
    try:
        return _upload(request, handler)
    finally:
        if handler is not None and handler.path is not None and \
                not ImportRun.objects.filter(stored_path=str(handler.path.resolve())).exists():
            uploads.remove_file(handler.path)  # refused (CSRF, bad form, unreadable): nothing kept


@csrf_protect
def _upload(request, handler):
    props = uploads.importable_properties(request.user)
    if request.method != "POST":
        initial = {"kind": request.GET.get("kind") if request.GET.get("kind") in ImportRun.Kind.values else "visits"}
        code = request.GET.get("property")
        prop = props.filter(code=code).first() if isinstance(code, str) else None
        initial["property"] = prop or props.first()
        form = UploadForm(user=request.user, initial=initial)
        return _upload_page(request, form)
    form = UploadForm(request.POST, request.FILES, user=request.user)
    if handler is not None and handler.too_large:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", uploads.too_large_message())
        return _upload_page(request, form, status=413)
    if not form.is_valid():
        return _upload_page(request, form, status=422)
    data = form.cleaned_data
    try:
        run, _preview = uploads.begin(request.user, data["kind"], data["property"], data["file"],
                                      encoding=data["encoding"], sheet=data["sheet"])
    except uploads.TooLarge:
        form.add_error("file", uploads.too_large_message())
        return _upload_page(request, form, status=413)
    except ValidationError as e:
        add_service_errors(form, e)
        return _upload_page(request, form, status=422)
    return redirect("imports:detail", pk=run.pk)


def _upload_page(request, form, status=200):
    props = form.fields["property"].queryset
    return render(request, "imports/upload.html", {
        "title": _("Import a file"), "form": form, "several_properties": props.count() > 1,
        "max_mb": uploads.max_bytes() // (1024 * 1024),
        "customers_allowed": any(ImportRun.Kind.CUSTOMERS in uploads.allowed_kinds(request.user, p) for p in props),
    }, status=status)


# ---- one run: preview, progress or result ---------------------------------------------------------

@login_required
def detail(request, pk):
    run = _run_or_404(request, pk)
    if run.state == State.PREVIEW:
        return _preview_page(request, run)
    if run.state in uploads.ACTIVE:
        return render(request, "imports/progress.html", {
            "title": _("Importing %(file)s") % {"file": run.file_name}, "run": run, **_progress_context(run)})
    return _result_page(request, run)


def _preview_options(request, run):
    """Encoding and sheet: as uploaded, or as chosen again on the preview page."""
    options = run.options or {}
    source = request.POST if request.method == "POST" else request.GET
    encoding = source.get("encoding", options.get("encoding") or "")
    sheet = source.get("sheet", options.get("sheet") or "")
    if encoding not in dict(uploads.ENCODINGS):
        encoding = ""
    if not isinstance(sheet, str) or "\x00" in sheet or len(sheet) > 100:
        sheet = ""
    return encoding, sheet


def _preview_page(request, run, mapping=None, errors=(), status=200):
    encoding, sheet = _preview_options(request, run)
    preview = uploads.preview_of(run, encoding=encoding, sheet=sheet)
    if mapping is None:
        mapping = dict(preview.mapping)
    by_index = {index: key for key, index in mapping.items()}
    problems = list(errors) or uploads.check_mapping(preview, mapping)
    width = max([len(preview.names)] + [len(cells) for _line, cells in preview.rows])
    columns = []
    for i in range(width):
        columns.append({"index": i, "name": preview.names[i] if i < len(preview.names) else "",
                        "key": by_index.get(i, ""), "mappable": i < len(preview.names)})
    rows = [(line, cells + [""] * (width - len(cells))) for line, cells in preview.rows]
    table = preview.table
    return render(request, "imports/preview.html", {
        "title": _("Check the columns of %(file)s") % {"file": run.file_name}, "run": run, "preview": preview,
        "columns": columns, "rows": rows, "choices": preview.columns, "errors": problems,
        "unreadable": preview.error if preview.table is None else "",
        "encoding": encoding, "sheet": sheet, "encodings": uploads.ENCODINGS,
        "is_csv": table is not None and table.format == "csv",
        "sheets": table.sheets if table is not None and table.format == "spreadsheet" else [],
        "current_sheet": table.sheet if table is not None else "",
        "current_encoding": uploads.encoding_label(table.encoding) if table is not None else "",
        "finishes": uploads.interrupted_predecessor(run), "required_keys": {k for k, _l, r in preview.columns if r},
    }, status=status)


@require_POST
@login_required
def start(request, pk):
    run = _run_or_404(request, pk)
    uploads.require_uploader(request.user, run)
    if run.state != State.PREVIEW:
        return redirect("imports:detail", pk=run.pk)
    encoding, sheet = _preview_options(request, run)
    preview = uploads.preview_of(run, encoding=encoding, sheet=sheet)
    if preview.table is None:
        return _preview_page(request, run, errors=[preview.error], status=422)
    mapping = {}
    for i in range(len(preview.names)):
        key = request.POST.get(f"map-{i}", "")
        if key:
            if key in mapping:
                mapping[key] = -1  # chosen twice: check_mapping names it
                continue
            mapping[key] = i
    errors = uploads.check_mapping(preview, {k: v for k, v in mapping.items() if v >= 0})
    twice = [k for k, v in mapping.items() if v < 0]
    if twice:
        labels = dict((k, str(label)) for k, label, _r in preview.columns)
        errors.insert(0, _("%(labels)s is chosen for more than one column; choose one.")
                      % {"labels": uploads.listing(labels.get(k, k) for k in twice)})
    if errors:
        return _preview_page(request, run, mapping={k: v for k, v in mapping.items() if v >= 0}, errors=errors,
                             status=422)
    try:
        uploads.confirm(request.user, run, mapping, dry_run=request.POST.get("action") == "dry_run",
                        encoding=encoding, sheet=sheet)
    except ValidationError as e:
        return _preview_page(request, run, mapping=mapping, errors=e.messages, status=409)
    return redirect("imports:detail", pk=run.pk)


@require_POST
@login_required
def discard(request, pk):
    run = _run_or_404(request, pk)
    uploads.require_uploader(request.user, run)
    uploads.discard(request.user, run)
    return redirect("imports:new")


def _progress_context(run):
    return {"p": uploads.progress(run), "poll": POLL_SECONDS,
            "worker_late": run.state == State.QUEUED and uploads.queued_for(run) > WORKER_LATE_SECONDS}


@login_required
def progress(request, pk):
    """The progress fragment the progress page polls (htmx); a finished run reloads the page."""
    run = _run_or_404(request, pk)
    response = render(request, "imports/_progress.html", {"run": run, **_progress_context(run)})
    if run.state not in uploads.ACTIVE:
        response["HX-Refresh"] = "true"
    response["Cache-Control"] = "no-store"
    return response


PROBLEM_ORDER = Ordering("line", "line")


def _result_page(request, run):
    """Counts, then the rejected rows a keyset page at a time (a run may hold a million of
    them: no OFFSET, no COUNT). Values only for who may see them (uploads.sees_problem_values),
    ID numbers masked."""
    problems = ImportProblem.objects.filter(run=run).only("id", "line", "column", "value", "reason")
    cursor_invalid = False
    try:
        page = keyset_page(problems, PROBLEM_ORDER, PROBLEM_PAGE, after=request.GET.get("after", ""),
                           before=request.GET.get("before", ""))
    except InvalidCursor:
        page, cursor_invalid = keyset_page(problems, PROBLEM_ORDER, PROBLEM_PAGE), True
    sees_values = uploads.sees_problem_values(request.user, run)
    id_columns = uploads.id_number_columns(run)
    for problem in page.rows:
        problem.shown = uploads.shown_problem_value(request.user, run, problem, id_columns)
    return render(request, "imports/result.html", {
        "title": _("Import of %(file)s") % {"file": run.file_name}, "run": run, "page": page,
        "cursor_invalid": cursor_invalid, "sees_values": sees_values,
        "p": uploads.progress(run), "message": uploads.user_text(run, run.message),
        "finished_by": ImportRun.objects.filter(resumes=run).exclude(state=State.PREVIEW).order_by("-id").first(),
        "finishes": run.resumes, "rejected_lines": run.rejected,
        "can_download": sees_values and request.user.can_export,
    })


# ---- downloads -------------------------------------------------------------------------------

@login_required
def rejected_csv(request, pk):
    """The rejected rows as the file had them, with a reason column (engine.write_errors),
    to fix and import again. Audited like every export of guest data (R-12.2)."""
    run = _run_or_404(request, pk)
    uploads.require_rejected_rows(request.user, run)
    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        rows = uploads.write_rejected_rows(request.user, run, path)
        handle = open(path, "rb")
    finally:
        os.unlink(path)  # the open handle keeps the data until the response is sent
    AuditEvent.record(request.user, "export", "import-rejected-rows", rows=rows, run=run.pk, format="csv")
    stem = os.path.splitext(run.file_name)[0] or "import"
    response = FileResponse(handle, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-rejected.csv")
    response["Cache-Control"] = "no-store"
    return response


def problem_columns(run):
    id_columns = uploads.id_number_columns(run)
    return [
        export.Column(gettext_lazy("Line"), lambda p, u: p.line),
        export.Column(gettext_lazy("Column"), lambda p, u: p.column),
        export.Column(gettext_lazy("Value"), lambda p, u: uploads.shown_problem_value(u, run, p, id_columns)),
        export.Column(gettext_lazy("Reason"), lambda p, u: p.reason),
    ]


@login_required
def problems_export(request, pk, fmt):
    """The table of problems (line, column, value, reason) through the one export helper
    (EXPORT asked and audited there); values as on the page (ID numbers masked)."""
    run = _run_or_404(request, pk)
    uploads.require_rejected_rows(request.user, run)
    rows = ImportProblem.objects.filter(run=run).only("line", "column", "value", "reason").order_by("line", "id")
    return export.export_response(request.user, fmt, "import-problems", rows, problem_columns(run),
                                  filters={"run": run.pk}, title=_("Rejected rows"))
