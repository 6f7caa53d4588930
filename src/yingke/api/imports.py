"""API: imports (R-3.2, R-12.4): upload a file to import in the background, follow its
progress, read its rejected rows.

Thin adapters over imports.uploads (which asks core.permissions). A role that may import
nowhere gets 403 on every route; a run of a property the caller may not import into is
404. Bad input is a 422 naming the field (`file` for a file that cannot be read or whose
header lacks a required column, `mapping`, `property`); a file over the size limit 413.
"""

import datetime as dt
import json
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from yingke.api.errors import ApiError, field_error, invalid_input, not_found
from yingke.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, offset_page
from yingke.api.schemas import STORABLE, ErrorOut, choice
from yingke.imports import uploads
from yingke.imports.models import ImportProblem, ImportRun

router = Router(tags=["imports"])
LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
OFFSET = Query(0, ge=0, le=MAX_OFFSET)
KIND = choice(ImportRun.Kind)
STATE = choice(ImportRun.State)
ENCODING = Literal.__getitem__(tuple(value for value, _label in uploads.ENCODINGS))
CODE = r"^[A-Za-z0-9_-]{1,20}$"


class ImportOut(Schema):
    id: int
    property: str = Field(description="Property code.")
    kind: KIND
    state: STATE = Field(description="preview (waiting for confirmation on the web page), queued, running, done, "
                                     "interrupted (upload the same file again to finish it), failed, cancelled.")
    source: str = Field(description="web (page or API) or cli.")
    file_name: str
    sha256: str
    size: int = Field(description="Bytes.")
    user: str | None = Field(description="User name of who started it; null for the command line.")
    dry_run: bool = Field(description="A check only: nothing was changed.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    rows_total: int | None = Field(description="Rows in the file: an estimate from its size until done.")
    rows_done: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    new_outlets: list[str] = Field(description="Outlets created on first sight.")
    message: str = Field(description="Why it failed or stopped.")
    resumes: int | None = Field(description="Id of the interrupted import this one finishes.")
    progress: float | None = Field(description="Rows done / rows in the file, 0–1.")
    rows_per_second: float | None
    seconds_left: int | None = Field(description="At the speed so far; null when unknown or finished.")


class ProblemOut(Schema):
    line: int = Field(description="Line as the user sees it in the file (the first line is 1).")
    column: str = Field(description="Column as named in the file's header.")
    value: str = Field(description="The cell as the file had it (an ID number masked); empty for a role that "
                                   "may not see guest data (only who uploaded the file and the property's "
                                   "general managers see the values).")
    reason: str


def _out(run: ImportRun) -> dict:
    p = uploads.progress(run)
    return {
        "id": run.pk, "property": run.property.code, "kind": run.kind, "state": run.state, "source": run.source,
        "file_name": run.file_name, "sha256": run.sha256, "size": run.size,
        "user": run.user.username if run.user_id else None, "dry_run": run.dry_run, "created_at": run.created_at,
        "started_at": run.started_at, "finished_at": run.finished_at, "rows_total": p.total,
        "rows_done": run.rows_done, "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
        "rejected": run.rejected, "new_outlets": [str(o) for o in run.new_outlets or []],
        "message": uploads.user_text(run, run.message), "resumes": run.resumes_id, "progress": p.fraction,
        "rows_per_second": round(p.rows_per_second, 1) if p.rows_per_second else None,
        "seconds_left": p.seconds_left,
    }


def _runs(user):
    uploads.require_importer(user)  # 403 for a role that imports nowhere
    return uploads.visible_runs(user)


def _run(user, import_id: int) -> ImportRun:
    run = _runs(user).filter(pk=import_id).first()
    if run is None:
        raise not_found()
    return run


@router.get("/imports", response=Page[ImportOut], summary="List imports",
            description="Imports into the properties you may import into, newest first.")
def list_imports(request, limit: int = LIMIT, offset: int = OFFSET, property: str = Query(None, pattern=CODE),
                 kind: KIND = None, state: STATE = None):
    runs = _runs(request.auth)
    if property:
        runs = runs.filter(property__code=property)
    if kind:
        runs = runs.filter(kind=kind)
    if state:
        runs = runs.filter(state=state)
    return offset_page(request, runs, limit, offset, _out)


@router.get("/imports/{int:import_id}", response={200: ImportOut, 404: ErrorOut}, summary="An import",
            description="State, counts and progress (rows done, rows per second, seconds left): poll it while "
                        "the state is queued or running.")
def get_import(request, import_id: int):
    return _out(_run(request.auth, import_id))


@router.get("/imports/{int:import_id}/problems", response={200: Page[ProblemOut], 404: ErrorOut},
            summary="Rejected rows of an import", description="One item per problem, in line order.")
def list_import_problems(request, import_id: int, limit: int = LIMIT, offset: int = OFFSET):
    user = request.auth
    run = _run(user, import_id)
    id_columns = uploads.id_number_columns(run)
    problems = ImportProblem.objects.filter(run=run).order_by("line", "id").only("line", "column", "value", "reason")
    return offset_page(request, problems, limit, offset,
                       lambda p: {"line": p.line, "column": p.column, "reason": p.reason,
                                  "value": uploads.shown_problem_value(user, run, p, id_columns)})


def _mapping_help() -> str:
    from yingke.imports.engine import IMPORTERS

    fields = "; ".join(f"{kind}: " + ", ".join(c.key + ("*" if c.required else "") for c in importer.columns)
                       for kind, importer in IMPORTERS.items())
    return ('Optional JSON object: field → column of the file, by position (0 = first column) or by header name '
            'as written, e.g. {"occurred_at": 0, "amount": "实收"}. Without it the header is read (Chinese or '
            f'English names, usual synonyms). Fields (* required): {fields}.')


MAPPING_HELP = _mapping_help()

FILE_FIELD = File(..., description="The CSV or spreadsheet file.")
KIND_FIELD = Form(..., description="customers, visits or stays.")
PROPERTY_FIELD = Form(..., pattern=CODE, description="Property code.")
MAPPING_FIELD = Form(None, max_length=4000, pattern=STORABLE, description=MAPPING_HELP)
ENCODING_FIELD = Form("", description="CSV text encoding; empty: detected.")
SHEET_FIELD = Form(None, max_length=100, pattern=STORABLE, description="Worksheet name; default: the first.")
DRY_RUN_FIELD = Form(False, description="Check every row, change nothing.")


@router.post("/imports", response={202: ImportOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut},
             summary="Import a file",
             description="Upload a CSV or spreadsheet (multipart/form-data) and start importing it in the "
                         "background: the answer (202) is the queued import; poll `GET /api/imports/{id}`. "
                         "A file that cannot be read, or whose header lacks a required column, is a 422 on "
                         "`file` and nothing is kept. Re-uploading a file whose import was interrupted finishes "
                         "it (`resumes`); rows already stored are not doubled.")
def create_import(request, file: UploadedFile = FILE_FIELD, kind: KIND = KIND_FIELD, property: str = PROPERTY_FIELD,
                  mapping: str = MAPPING_FIELD, encoding: ENCODING = ENCODING_FIELD, sheet: str = SHEET_FIELD,
                  dry_run: bool = DRY_RUN_FIELD):
    user = request.auth
    uploads.require_importer(user)
    prop = uploads.importable_properties(user).filter(code=property).first()
    if prop is None:
        codes = ", ".join(uploads.importable_properties(user).values_list("code", flat=True))
        raise field_error("property", _("Choose one of the properties you may import into: %(codes)s.")
                          % {"codes": codes})
    uploads.require_kind(user, kind, prop)
    wanted = _parse_mapping(mapping)
    try:
        run, preview = uploads.begin(user, kind, prop, file, encoding=encoding or "", sheet=(sheet or "").strip())
    except uploads.TooLarge:
        raise ApiError(413, uploads.too_large_message()) from None
    except ValidationError as e:
        raise ApiError(422, invalid_input(), {"file": e.message_dict.get("file", e.messages)}) from None
    try:
        chosen = _resolve_mapping(preview, wanted) if wanted is not None else dict(preview.mapping)
        errors = uploads.check_mapping(preview, chosen)
        if errors:
            field = "mapping" if wanted is not None else "file"
            if field == "file" and preview.error:
                errors = [uploads.localise(preview.error, run.stored_path, run.file_name)]
            raise ApiError(422, invalid_input(), {field: errors})
        run = uploads.confirm(user, run, chosen, dry_run=dry_run)
    except BaseException:
        uploads.remove_file(run.stored_path)
        ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.PREVIEW).delete()
        raise
    run.refresh_from_db()
    return Status(202, _out(run))


def _parse_mapping(text):
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)  # nesting deeper than Python's stack: RecursionError
    except (ValueError, RecursionError):
        raise field_error("mapping", _("Give the mapping as a JSON object, e.g. {\"date\": 0}.")) from None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value) or \
            not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in value.values()):
        raise field_error("mapping", _("Give the mapping as a JSON object of field → column position or "
                                       "header name."))
    if not all(_storable(k) for k in value) or not all(_storable(v) for v in value.values() if isinstance(v, str)):
        # JSON escapes can spell a lone surrogate or a NUL, which no answer can echo.
        raise field_error("mapping", _("The mapping holds characters that are not text (a NUL or a lone "
                                       "surrogate)."))
    return value


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _resolve_mapping(preview, wanted: dict) -> dict:
    names = [n.strip() for n in preview.names]
    out, problems = {}, []
    for key, column in wanted.items():
        if isinstance(column, str):
            if column.strip() not in names:
                problems.append(_("%(key)s: the file has no column “%(name)s”.") % {"key": key, "name": column})
                continue
            column = names.index(column.strip())
        out[key] = column
    if problems:
        raise ApiError(422, invalid_input(), {"mapping": problems})
    return out

