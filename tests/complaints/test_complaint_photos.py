"""Photos of a complaint (R-8.1): type and size limits, EXIF removed, stored 0600 under
MEDIA_ROOT, served only to those who see the complaint."""

import io
import stat

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from yingke.complaints import photos
from yingke.complaints.models import ComplaintPhoto
from yingke.core.permissions import NotVisible

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image(fmt="JPEG", size=(40, 30), exif=True) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif and fmt in ("JPEG", "WEBP", "PNG"):
        ex = Image.Exif()
        ex[0x010F] = "PhoneMaker"  # Make
        ex[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPS IFD
        kwargs["exif"] = ex
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_add_photo_reencodes_without_exif_and_stores_privately(world, complaint, media):
    raw = image("JPEG")
    assert b"PhoneMaker" in raw
    p = photos.add_photo(world.desk, complaint, upload("a.jpg", raw))
    assert p.content_type == "image/jpeg" and p.path.startswith(f"{complaint.pk}/") and p.path.endswith(".jpg")
    path = media / "complaints" / p.path
    data = path.read_bytes()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for d in (path.parent, media / "complaints", media):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    assert p.size == len(data)


@pytest.mark.parametrize("fmt,ctype", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp(world, complaint, fmt, ctype):
    p = photos.add_photo(world.desk, complaint, upload("x.bin", image(fmt), "application/octet-stream"))
    assert p.content_type == ctype


@pytest.mark.parametrize("data", [
    b"", b"GIF89a" + b"\x00" * 50, b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.4 hello",
    image("JPEG")[:60], image("GIF", exif=False), image("BMP", exif=False),
])
def test_other_files_are_refused(world, complaint, data):
    with pytest.raises(ValidationError):
        photos.add_photo(world.desk, complaint, upload("evil.jpg", data))
    assert not ComplaintPhoto.objects.exists()


def test_size_and_count_limits(world, complaint, monkeypatch):
    monkeypatch.setattr(ComplaintPhoto, "MAX_BYTES", 2000)
    big = image("PNG", size=(300, 300), exif=False)
    big = big + b"\x00" * (2100 - len(big)) if len(big) < 2100 else big
    with pytest.raises(ValidationError) as e:
        photos.add_photo(world.desk, complaint, upload("big.png", big))
    assert "MB" in str(e.value)
    monkeypatch.undo()
    for _ in range(photos.MAX_PER_COMPLAINT):
        photos.add_photo(world.desk, complaint, upload("a.jpg", image()))
    with pytest.raises(ValidationError):
        photos.add_photo(world.desk, complaint, upload("a.jpg", image()))
    assert ComplaintPhoto.objects.count() == photos.MAX_PER_COMPLAINT


def test_only_those_who_handle_add(world, complaint):
    for actor in (world.am2, world.admin, world.gm2):
        with pytest.raises(NotVisible):
            photos.add_photo(actor, complaint, upload("a.jpg", image()))


def test_remove_photo(world, complaint, media, django_capture_on_commit_callbacks):
    p = photos.add_photo(world.desk, complaint, upload("a.jpg", image()))
    path = media / "complaints" / p.path
    with pytest.raises(NotVisible):
        photos.remove_photo(world.am2, p)
    with pytest.raises(PermissionDenied):  # sees it, but neither added it nor is the general manager
        photos.remove_photo(world.am1, p)
    with django_capture_on_commit_callbacks(execute=True):
        photos.remove_photo(world.desk, p)
    assert not ComplaintPhoto.objects.exists() and not path.exists()
    q = photos.add_photo(world.desk, complaint, upload("b.jpg", image()))
    with django_capture_on_commit_callbacks(execute=True):
        photos.remove_photo(world.gm, q)
    assert not ComplaintPhoto.objects.exists()


def test_an_archived_complaint_keeps_its_photos(world, complaint):
    from yingke.complaints import services
    from yingke.core.services import Conflict

    p = photos.add_photo(world.desk, complaint, upload("a.jpg", image()))
    services.resolve_on_the_spot(world.desk, complaint, solution="换菜", carried_out="已换",
                                 check_back="满意", satisfaction="satisfied")
    complaint.refresh_from_db()
    with pytest.raises(Conflict):
        photos.add_photo(world.desk, complaint, upload("b.jpg", image()))
    with pytest.raises(Conflict):
        photos.remove_photo(world.gm, ComplaintPhoto.objects.get(pk=p.pk))
    assert ComplaintPhoto.objects.count() == 1


# ---- pages --------------------------------------------------------------------------------------

def test_upload_several_through_the_page_and_serve(client, world, complaint):
    client.force_login(world.desk)
    url = reverse("complaints:photo_upload", args=[complaint.pk])
    r = client.post(url, {"photos": [upload("a.jpg", image()), upload("b.png", image("PNG"), "image/png"),
                                     upload("c.txt", b"hello", "text/plain")]})
    assert r.status_code == 302
    assert ComplaintPhoto.objects.count() == 2
    body = client.get(r["Location"]).content.decode()
    assert "c.txt" in body  # the refused file is named in the message
    p = ComplaintPhoto.objects.order_by("pk").first()
    serve = reverse("complaints:photo", args=[complaint.pk, p.pk])
    assert serve in body
    r = client.get(serve)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert r["X-Content-Type-Options"] == "nosniff" and "private" in r["Cache-Control"]
    assert b"".join(r.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.parametrize("role,status", [("gm", 200), ("desk", 200), ("sup", 200), ("am1", 200), ("am2", 404),
                                         ("admin", 404), ("gm2", 404)])
def test_photo_served_only_to_who_sees_the_complaint(client, world, complaint, role, status):
    p = photos.add_photo(world.desk, complaint, upload("a.jpg", image()))
    client.force_login(getattr(world, role))
    assert client.get(reverse("complaints:photo", args=[complaint.pk, p.pk])).status_code == status
    r = client.post(reverse("complaints:photo_upload", args=[complaint.pk]), {"photos": [upload("a.jpg", image())]})
    assert r.status_code == (302 if status == 200 else 404)
    r = client.post(reverse("complaints:photo_remove", args=[complaint.pk, p.pk]))
    # removed by whoever added it (desk) or the general manager; others who see it are refused
    assert r.status_code == (404 if status == 404 else 302 if role in ("gm", "desk") else 403)


def test_photo_of_another_complaint_by_url_is_404(client, world, complaint):
    from yingke.complaints import services

    other = services.record(world.desk, world.h1, kind="other", words="x")
    p = photos.add_photo(world.desk, complaint, upload("a.jpg", image()))
    client.force_login(world.gm)
    assert client.get(reverse("complaints:photo", args=[other.pk, p.pk])).status_code == 404
    assert client.get(f"/complaints/{complaint.pk}/photos/99999999/").status_code == 404


def test_a_too_big_upload_is_a_message_not_an_error(client, world, complaint, monkeypatch):
    monkeypatch.setattr(ComplaintPhoto, "MAX_BYTES", 100_000)
    client.force_login(world.desk)
    big = b"\xff\xd8" + b"\x00" * 300_000
    r = client.post(reverse("complaints:photo_upload", args=[complaint.pk]),
                    {"photos": [upload("huge.jpg", big), upload("ok.jpg", image())]})
    assert r.status_code == 302
    assert ComplaintPhoto.objects.count() == 1
    body = client.get(r["Location"]).content.decode()
    assert "huge.jpg" in body


def test_more_than_ten_in_one_upload(client, world, complaint):
    client.force_login(world.desk)
    files = [upload(f"{i}.jpg", image()) for i in range(photos.MAX_PER_COMPLAINT + 2)]
    r = client.post(reverse("complaints:photo_upload", args=[complaint.pk]), {"photos": files})
    assert r.status_code == 302
    assert ComplaintPhoto.objects.count() == photos.MAX_PER_COMPLAINT


def test_upload_without_a_file_or_csrf(client, world, complaint):
    client.force_login(world.desk)
    url = reverse("complaints:photo_upload", args=[complaint.pk])
    assert client.post(url, {}).status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.desk)
    assert strict.post(url, {"photos": [upload("a.jpg", image())]}).status_code == 403
    assert not ComplaintPhoto.objects.exists()


def test_a_file_over_the_real_limit_through_the_temp_file_handler(client, world, complaint):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) Django writes to a temporary file; past
    ComplaintPhoto.MAX_BYTES the handler drops it: a message, never a 400 or 500."""
    client.force_login(world.desk)
    big = b"\xff\xd8" + b"\x00" * (ComplaintPhoto.MAX_BYTES + 10)
    r = client.post(reverse("complaints:photo_upload", args=[complaint.pk]), {"photos": [upload("huge.jpg", big)]})
    assert r.status_code == 302
    assert "huge.jpg" in client.get(r["Location"]).content.decode()
    assert not ComplaintPhoto.objects.exists()
