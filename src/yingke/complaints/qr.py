"""The printable QR sheet of the public feedback page (R-8.4).

One A4 page (150 dpi) per outlet, or per room or table when locations are given for the
outlet (and one for the property as a whole when asked): the property's name, the outlet and
location, the QR code of the page's address (feedback.make_token) and a short instruction in
Chinese and English. The sheet is a multi-page PDF; PNG gives one image per page (a ZIP when
there are several). Pages are bilevel images (mode "1"): sharp codes, small files, little
memory for a few hundred pages.

The address starts with settings.PUBLIC_URL (YINGKE_PUBLIC_URL), else the address the staff
page was opened with (the CLI then needs --base-url). Chinese text needs the WenQuanYi Micro
Hei font (`make system-deps`): without it the sheet is refused with a message, never drawn
with missing glyphs.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from yingke.complaints.feedback import LOCATION_MAX, make_token
from yingke.core import permissions
from yingke.core.models import AuditEvent, Outlet, Property
from yingke.core.permissions import CONFIGURE
from yingke.core.services import clean_text

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DPI = 150
WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
QR_SIZE = 760  # the code's width on the page, quiet zone included, at most
MAX_PAGES = 300
FORMATS = ("pdf", "png")
PDF_TYPE, PNG_TYPE, ZIP_TYPE = "application/pdf", "image/png", "application/zip"


class SheetError(Exception):
    """The sheet cannot be drawn on this machine (the font is missing)."""


@dataclass
class Page:
    property_name: str
    outlet_name: str
    location: str
    url: str
    label: str  # for file names: outlet code or property code, and the location
    qr_box: tuple = field(default=(0, 0, 0), compare=False)  # (left, top, module size) once drawn


# ---- what to print --------------------------------------------------------------------

def check_base_url(value: str) -> str:
    value = str(value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValidationError({"base_url": [_("Give the site's address, e.g. https://crm.example.com.")]})
    return value.rstrip("/")


def base_url(request=None) -> str:
    """settings.PUBLIC_URL, else the address of `request`; '' when neither is known."""
    configured = getattr(settings, "PUBLIC_URL", "") or ""
    if configured:
        return check_base_url(configured)
    return request.build_absolute_uri("/").rstrip("/") if request is not None else ""


def page_url(base: str, prop: Property, outlet: Outlet | None, location: str = "") -> str:
    return base.rstrip("/") + reverse("feedback:page", args=[make_token(prop, outlet, location)])


def parse_locations(text, field_name: str, errors: dict) -> list[str]:
    """Rooms or tables, one per line; blank lines and repeats dropped."""
    out: list[str] = []
    for number, line in enumerate(str(text or "").splitlines(), 1):
        line_errors: dict = {}
        value = clean_text(line, field_name, LOCATION_MAX, required=False, errors=line_errors)
        if line_errors:
            errors.setdefault(field_name, []).append(
                _("Line %(line)d: %(error)s") % {"line": number, "error": line_errors[field_name][0]})
        elif value and value not in out:
            out.append(value)
    return out


def plan(actor, prop: Property, selections: list[tuple[Outlet | None, list[str]]], base: str) -> list[Page]:
    """The pages for `selections` — (outlet or None for the property as a whole, its
    locations) — whoever may configure the property (general manager, administrator)."""
    permissions.require(actor, CONFIGURE, prop)
    require_font()
    base = check_base_url(base)
    if not selections:
        raise ValidationError({"outlets": [_("Choose at least one outlet.")]})
    pages = []
    for outlet, locations in selections:
        if outlet is not None and outlet.property_id != prop.pk:
            raise ValidationError({"outlets": [_("The outlet belongs to another property.")]})
        code = outlet.code if outlet is not None else prop.code
        for location in locations or [""]:
            pages.append(Page(prop.name, outlet.name if outlet is not None else "", location,
                              page_url(base, prop, outlet, location), f"{code}-{location}" if location else code))
    if len(pages) > MAX_PAGES:
        raise ValidationError({"outlets": [_("At most %(max)d pages at a time; this sheet would have %(n)d.")
                                           % {"max": MAX_PAGES, "n": len(pages)}]})
    AuditEvent.record(actor, "complaints.qr_sheet", f"property:{prop.code}", rows=len(pages))
    return pages


# ---- drawing --------------------------------------------------------------------------

def require_font() -> None:
    if not FONT.is_file():
        raise SheetError(_("The Chinese font %(path)s is missing; install it with “make system-deps” (Debian "
                           "package fonts-wqy-microhei).") % {"path": str(FONT)})


def _font(size: int):
    require_font()
    return _load_font(str(FONT), size)


@lru_cache(maxsize=64)
def _load_font(path: str, size: int):
    return ImageFont.truetype(path, size)


def _centered(draw, y: int, text: str, size: int, min_size: int = 14) -> int:
    """Draw `text` centred at `y`, shrunk to fit between the margins; the y below it."""
    if not text:
        return y
    while True:
        font = _font(size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= WIDTH - 2 * MARGIN or size <= min_size:
            break
        size -= 2
    draw.text(((WIDTH - (right - left)) // 2 - left, y - top), text, font=font, fill=0)
    return y + (bottom - top)


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def instructions() -> tuple[str, str]:
    """The instruction in Chinese and in English, whatever the active language."""
    texts = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            texts.append(_("Scan to send us praise, a suggestion or a complaint — no account needed."))
    return texts[0], texts[1]


def render_page(page: Page) -> Image.Image:
    im = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(im)
    y = _centered(draw, 150, page.property_name, 68) + 40
    where = " · ".join(p for p in (page.outlet_name, page.location) if p)
    y = _centered(draw, y, where, 56) + 50
    code = qr_code(page.url)
    modules = len(code.matrix)
    scale = max(1, QR_SIZE // (modules + 8))
    left = (WIDTH - modules * scale) // 2
    top = max(y + 4 * scale, 480)
    for r, row in enumerate(code.matrix):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle((left + c * scale, top + r * scale, left + (c + 1) * scale - 1,
                                top + (r + 1) * scale - 1), fill=0)
    page.qr_box = (left, top, scale)
    y = top + modules * scale + 4 * scale + 30
    zh, en = instructions()
    if zh != en:  # the Chinese line, unless its translation is missing
        y = _centered(draw, y, zh, 44) + 24
    _centered(draw, y, en, 34)
    _centered(draw, HEIGHT - MARGIN - 20, page.url, 20, min_size=8)
    return im.convert("1", dither=Image.Dither.NONE)


def pdf(pages: list[Page]) -> bytes:
    images = [render_page(p) for p in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=DPI,
                   title=pages[0].property_name)
    return buffer.getvalue()


def png(page: Page) -> bytes:
    buffer = io.BytesIO()
    render_page(page).save(buffer, "PNG", dpi=(DPI, DPI), optimize=True)
    return buffer.getvalue()


def _file_name(n: int, page: Page) -> str:
    return f"{n:03d}-" + re.sub(r"[\\/:*?\"<>|\s]+", "_", page.label) + ".png"


def png_zip(pages: list[Page]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for n, page in enumerate(pages, 1):
            z.writestr(_file_name(n, page), png(page))
    return buffer.getvalue()


def sheet(pages: list[Page], fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file extension): a PDF, one PNG, or a ZIP of PNGs."""
    if fmt == "pdf":
        return pdf(pages), PDF_TYPE, "pdf"
    if len(pages) == 1:
        return png(pages[0]), PNG_TYPE, "png"
    return png_zip(pages), ZIP_TYPE, "zip"
