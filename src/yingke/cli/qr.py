"""`yingke qr --property CODE --out FILE [--outlet CODE ...] [--locations FILE] [--base-url URL]`:
write the QR sheet of the public feedback page (R-8.4) through complaints.qr.

FILE ending in .pdf: one A4 page per code; .png: the image of a single page; .zip: one PNG
per page. Without --outlet, every outlet of the property (the property as a whole when it
has none). --locations: rooms or tables, one per line, a page each; a line "CODE,LOCATION"
(or with a tab) names the outlet, a plain line belongs to the one outlet given with --outlet.
The address comes from --base-url, else YINGKE_PUBLIC_URL. Every argument is checked before
anything is written; problems → a message and exit 2.
"""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yingke.cli.admin import first_error, get_property, require_migrated
from yingke.cli.main import EXIT_OK, CliError, say

KINDS = (".pdf", ".png", ".zip")


def add_parsers(sub) -> None:
    """Register `qr` on the top-level subparsers."""
    p = sub.add_parser(
        "qr", help=_("write the printable QR codes of the guest feedback page (PDF or PNG)"),
        description=_("Write one A4 page per outlet (or per room or table given with --locations) with the QR code "
                      "of the public feedback page: .pdf for the whole sheet, .png for a single page, .zip for "
                      "one PNG per page."))
    p.add_argument("--property", required=True, metavar="CODE", help=_("property code"))
    p.add_argument("--out", required=True, metavar="FILE", help=_("file to write: .pdf, .png (one page) or .zip"))
    p.add_argument("--outlet", action="append", metavar="CODE",
                   help=_("outlet code; repeat for several (default: every outlet)"))
    p.add_argument("--locations", metavar="FILE",
                   help=_("rooms or tables, one per line (“CODE,LOCATION” names the outlet)"))
    p.add_argument("--base-url", metavar="URL",
                   help=_("address of the site as guests reach it, e.g. https://crm.example.com "
                          "(default: YINGKE_PUBLIC_URL)"))
    p.set_defaults(handler=qr_sheet)


def check_out_path(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in KINDS:
        raise CliError(_("The output file must end in .pdf, .png or .zip: “%(path)s”.") % {"path": value})
    if path.is_dir():
        raise CliError(_("“%(path)s” is a folder; give a file name.") % {"path": value})
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(_("The folder of the output file does not exist: “%(path)s”.") % {"path": str(folder)})
    return path


def read_locations(path: str, outlets: dict, chosen: list) -> dict:
    """{outlet code: [locations]} from the file; a plain line needs exactly one chosen outlet."""
    from django.core.exceptions import ValidationError

    from yingke.complaints.feedback import LOCATION_MAX
    from yingke.core.services import clean_text

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError) as e:
        raise CliError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": getattr(e, "strerror", None)
                                                                or e}) from None
    lower = {code.lower(): code for code in outlets}
    out: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        code = None
        for sep in ("\t", ","):
            head, found, rest = line.partition(sep)
            if found and head.strip().lower() in lower:
                code, line = lower[head.strip().lower()], rest
                break
        if code is None:
            if len(chosen) != 1:
                raise CliError(_("%(path)s line %(line)d: write “OUTLET,LOCATION” when several outlets are "
                                 "printed.") % {"path": path, "line": number})
            code = chosen[0]
        try:
            location = clean_text(line, "location", LOCATION_MAX)
        except ValidationError as e:
            raise CliError(_("%(path)s line %(line)d: %(error)s") % {"path": path, "line": number,
                                                                     "error": first_error(e)}) from None
        if code not in chosen:
            raise CliError(_("%(path)s line %(line)d: the outlet %(code)s is not among those printed.")
                           % {"path": path, "line": number, "code": code})
        if location not in out.setdefault(code, []):
            out[code].append(location)
    return out


def qr_sheet(args) -> int:
    from django.conf import settings
    from django.core.exceptions import ValidationError

    from yingke.complaints import qr
    from yingke.core.permissions import SYSTEM

    require_migrated()
    prop = get_property(args.property)
    out = check_out_path(args.out)
    outlets = {o.code: o for o in prop.outlets.order_by("code")}
    if args.outlet:
        lower = {code.lower(): code for code in outlets}
        chosen = []
        for code in args.outlet:
            if code.lower() not in lower:
                raise CliError(_("unknown outlet “%(code)s” of %(property)s (known: %(codes)s).")
                               % {"code": code, "property": prop.code, "codes": ", ".join(outlets) or "—"})
            if lower[code.lower()] not in chosen:
                chosen.append(lower[code.lower()])
    else:
        chosen = list(outlets)
    locations = read_locations(args.locations, outlets, chosen) if args.locations else {}
    base = args.base_url or getattr(settings, "PUBLIC_URL", "")
    if not base:
        raise CliError(_("Give the site's address with --base-url (or set YINGKE_PUBLIC_URL), e.g. "
                         "https://crm.example.com."))
    selections = [(outlets[code], locations.get(code, [])) for code in chosen] or [(None, [])]
    try:
        pages = qr.plan(SYSTEM, prop, selections, base)
        kind = out.suffix.lower()
        if kind == ".png" and len(pages) > 1:
            raise CliError(ngettext("The sheet has %(n)d page; a .png file holds one. Write a .pdf or a .zip.",
                                    "The sheet has %(n)d pages; a .png file holds one. Write a .pdf or a .zip.",
                                    len(pages)) % {"n": len(pages)})
        if kind == ".pdf":
            content = qr.pdf(pages)
        elif kind == ".png":
            content = qr.png(pages[0])
        else:
            content = qr.png_zip(pages)
    except ValidationError as e:
        raise CliError(first_error(e)) from None
    except qr.SheetError as e:
        raise CliError(str(e)) from None
    try:
        out.write_bytes(content)
    except OSError as e:
        raise CliError(_("%(path)s could not be written: %(error)s") % {"path": str(out), "error": e.strerror or e}) \
            from None
    say(ngettext("%(n)d page written to %(path)s.", "%(n)d pages written to %(path)s.", len(pages))
        % {"n": len(pages), "path": str(out)})
    return EXIT_OK
