"""Photos of a complaint (R-8.1): at most MAX_PER_COMPLAINT per complaint, each at most
ComplaintPhoto.MAX_BYTES, JPEG, PNG or WEBP only.

The type is what Pillow finds when it opens the file (never the name or the browser's
content type); the image is then re-encoded, which drops EXIF and every other metadata
(a phone's photo carries the GPS position of the hotel room and the guest's device).
Files live under MEDIA_ROOT/complaints/<complaint id>/<uuid>.<ext>, mode 0600, and are
served by the view only to users who see the complaint (complaints.views.photo).
Who: anyone who may handle the complaint (HANDLE).
"""

import io
import os
import uuid
import warnings
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yingke.complaints.models import Complaint, ComplaintPhoto, Step
from yingke.core import permissions
from yingke.core.models import AuditEvent
from yingke.core.permissions import APPROVE, HANDLE, history_user
from yingke.core.services import Conflict
from yingke.home import PRIVATE_DIR, PRIVATE_FILE

MAX_PER_COMPLAINT = 10
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_SIDE = 4096  # larger photos are scaled down when re-encoded


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "complaints"


def file_of(photo: ComplaintPhoto) -> Path:
    """The stored file of `photo`, never outside the photo directory."""
    base = root().resolve()
    path = (base / photo.path).resolve()
    if base not in path.parents:
        raise FileNotFoundError(photo.path)
    return path


def too_large_message() -> str:
    return _("A photo may be at most %(mb)s MB.") % {"mb": ComplaintPhoto.MAX_BYTES // (1024 * 1024)}


def too_many_message() -> str:
    return _("A complaint may have at most %(n)s photos.") % {"n": MAX_PER_COMPLAINT}


def _read(uploaded_file) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > ComplaintPhoto.MAX_BYTES:
        raise ValidationError({"photos": [too_large_message()]})
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(ComplaintPhoto.MAX_BYTES + 1)
    if len(data) > ComplaintPhoto.MAX_BYTES:
        raise ValidationError({"photos": [too_large_message()]})
    if not data:
        raise ValidationError({"photos": [_("The file is empty.")]})
    return data


def _reencode(data: bytes) -> tuple[bytes, str, str]:
    """(clean bytes, content type, extension) of a JPEG, PNG or WEBP image; ValidationError
    for anything else (a renamed file, a broken or truncated image, a bomb)."""
    from PIL import Image, ImageOps

    bad = ValidationError({"photos": [_("Only JPEG, PNG or WEBP photos can be added.")]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = "JPEG" if probe.format == "MPO" else probe.format  # MPO: a phone's JPEG with extra frames
                if fmt not in ComplaintPhoto.TYPES or probe.width * probe.height > MAX_PIXELS:
                    raise bad
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:  # verify() leaves the image unusable
                img.load()
                img = ImageOps.exif_transpose(img)  # keep the orientation the EXIF gave, then drop EXIF
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                if fmt == "JPEG":
                    img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
                elif fmt == "PNG":
                    img.save(out, "PNG", optimize=True)
                else:
                    img.save(out, "WEBP", quality=85)
    except ValidationError:
        raise
    except Exception:  # Pillow raises many kinds for a file that is not an image it reads
        raise bad from None
    content_type, ext = ComplaintPhoto.TYPES[fmt]
    return out.getvalue(), content_type, ext


def _private_dirs(path: Path) -> None:
    """MEDIA_ROOT, its complaints/ and the complaint's directory, each mode 0700."""
    media = Path(settings.MEDIA_ROOT)
    for d in (media, root(), path):
        d.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        if d.stat().st_mode & 0o077:
            d.chmod(PRIVATE_DIR)


def _write(path: Path, data: bytes) -> None:
    _private_dirs(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, PRIVATE_FILE)  # whatever the umask


def _not_archived(complaint: Complaint) -> None:
    if complaint.step >= Step.ARCHIVED:
        raise Conflict({"photos": [_("This complaint is archived: its photos are kept as they were.")]})


def add_photo(actor, complaint: Complaint, uploaded_file) -> ComplaintPhoto:
    """Add one photo to `complaint`. ValidationError {"photos": […]} for a file refused."""
    permissions.require(actor, HANDLE, complaint)
    _not_archived(complaint)
    data = _read(uploaded_file)
    clean, content_type, ext = _reencode(data)
    if len(clean) > ComplaintPhoto.MAX_BYTES:
        raise ValidationError({"photos": [too_large_message()]})
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if ComplaintPhoto.objects.filter(complaint=locked).count() >= MAX_PER_COMPLAINT:
            raise ValidationError({"photos": [too_many_message()]})
        relative = f"{locked.pk}/{uuid.uuid4().hex}.{ext}"
        path = root() / relative
        _write(path, clean)
        try:
            photo = ComplaintPhoto.objects.create(complaint=locked, path=relative, content_type=content_type,
                                                  size=len(clean), uploaded_by=history_user(actor))
            AuditEvent.record(actor, "complaint.photo.add", f"complaint:{locked.pk}", photo=photo.pk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return photo


def remove_photo(actor, photo: ComplaintPhoto) -> None:
    """Remove a photo (HANDLE on its complaint): the row, then the file once committed."""
    permissions.require(actor, HANDLE, photo.complaint)
    _not_archived(photo.complaint)
    if not (permissions.is_system(actor) or photo.uploaded_by_id == actor.pk
            or permissions.can(actor, APPROVE, photo.complaint)):
        raise PermissionDenied(_("Only whoever added a photo, or the general manager, may remove it."))
    try:
        path = file_of(photo)
    except FileNotFoundError:
        path = None
    with transaction.atomic():
        pk, complaint_id = photo.pk, photo.complaint_id
        photo.delete()
        AuditEvent.record(actor, "complaint.photo.remove", f"complaint:{complaint_id}", photo=pk)
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
