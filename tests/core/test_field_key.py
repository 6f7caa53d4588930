"""The field-encryption key is never silently replaced, is checked against the database's
fingerprint, and a value that cannot be decrypted never breaks a page (R-12.1)."""

import os
import stat
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from yingke.cli import keys as keys_cli
from yingke.cli.main import CliError
from yingke.core import fieldkey
from yingke.core.models import KeyFingerprint
from yingke.customers import crypto
from yingke.customers.models import Customer
from yingke.home import home_dir, private_file

RID = "11010519491231002X"
OTHER_KEY = "B" * 44


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English (Chinese is the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def keyhome(tmp_path, monkeypatch, settings):
    """A $YINGKE_HOME of its own, the key read from its field_key file."""
    home = tmp_path / "home"
    monkeypatch.setenv("YINGKE_HOME", str(home))
    settings.FIELD_KEY = None
    fieldkey.forget()
    yield home_dir()
    fieldkey.forget()


def key_file(home):
    return home / "field_key"


def set_up(db_home):
    """A new installation: ensure() creates the key and stores its fingerprint."""
    ring, outcome = fieldkey.ensure()
    assert outcome == "created"
    return ring


def test_new_installation_gets_a_key_file_0600_and_its_fingerprint(keyhome, db):
    ring = set_up(keyhome)
    path = key_file(keyhome)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == ring.primary and len(ring.primary) == 44
    assert set(KeyFingerprint.objects.values_list("fingerprint", flat=True)) == {ring.fingerprints[0]}
    assert ring.primary not in ring.fingerprints[0]  # the fingerprint does not reveal the key
    assert fieldkey.ensure() == (ring, "ok")
    assert path.read_text().strip() == ring.primary  # never replaced


def test_a_missing_key_is_never_recreated_for_a_database_with_a_fingerprint(keyhome, db):
    set_up(keyhome)
    key_file(keyhome).unlink()
    fieldkey.forget()
    with pytest.raises(fieldkey.FieldKeyError, match="Restore the file from your backup"):
        fieldkey.ensure()
    assert not key_file(keyhome).exists()


def test_a_missing_key_is_never_created_for_a_database_with_encrypted_values(keyhome, world):
    """An installation from before fingerprints: ID numbers stored, the key file lost."""
    from yingke.customers.services import save_customer

    key_file(keyhome).write_text("A" * 44)
    fieldkey.forget()
    save_customer(world.gm, world.c_am1, id_number=RID)
    key_file(keyhome).unlink()
    fieldkey.forget()
    with pytest.raises(fieldkey.FieldKeyError, match="holds encrypted ID numbers"):
        fieldkey.ensure()
    assert not key_file(keyhome).exists() and not KeyFingerprint.objects.exists()


def test_an_existing_key_is_adopted_only_when_it_decrypts_what_is_stored(keyhome, world):
    from yingke.customers.services import save_customer

    key_file(keyhome).write_text("A" * 44 + "\n")
    fieldkey.forget()
    save_customer(world.gm, world.c_am1, id_number=RID)
    key_file(keyhome).write_text(OTHER_KEY)
    fieldkey.forget()
    with pytest.raises(fieldkey.FieldKeyError, match="cannot decrypt"):
        fieldkey.ensure()
    assert not KeyFingerprint.objects.exists()
    key_file(keyhome).write_text("A" * 44 + "\n")
    fieldkey.forget()
    ring, outcome = fieldkey.ensure()
    assert outcome == "adopted" and KeyFingerprint.objects.get().fingerprint == fieldkey.fingerprint("A" * 44)


def test_a_key_that_is_not_the_databases_is_refused(keyhome, db):
    set_up(keyhome)
    key_file(keyhome).write_text(OTHER_KEY)
    fieldkey.forget()
    with pytest.raises(fieldkey.FieldKeyError, match="is not the key of this database"):
        fieldkey.verify()
    with pytest.raises(CliError, match="is not the key of this database"):
        keys_cli.check_before_migrate()
    with pytest.raises(CliError, match="is not the key of this database"):
        keys_cli.require_field_key()


def test_nothing_is_encrypted_or_indexed_with_a_key_that_is_not_the_databases(keyhome, world):
    """Whatever path writes (web, API, an import, a job): never with the wrong key."""
    from yingke.customers.services import save_customer

    set_up(keyhome)
    key_file(keyhome).write_text(OTHER_KEY)
    with pytest.raises(fieldkey.FieldKeyError):
        crypto.encrypt(RID)
    with pytest.raises(fieldkey.FieldKeyError):
        save_customer(world.gm, world.c_am1, id_number=RID)
    world.c_am1.refresh_from_db()
    assert world.c_am1.id_number_enc == ""


def test_a_short_key_is_refused(keyhome, db):
    key_file(keyhome).write_text("short")
    fieldkey.forget()
    with pytest.raises(fieldkey.FieldKeyError, match="too short"):
        fieldkey.current()


def test_the_key_file_is_read_again_when_it_changes(keyhome, db):
    ring = set_up(keyhome)
    key_file(keyhome).write_text(OTHER_KEY + "\n" + ring.primary + "\n")
    new = fieldkey.current()
    assert new.keys == (OTHER_KEY, ring.primary)


def test_try_decrypt_gives_none_for_what_cannot_be_decrypted(keyhome, db):
    ring = set_up(keyhome)
    token = crypto.encrypt(RID)
    assert crypto.decrypt(token) == crypto.try_decrypt(token) == RID
    assert crypto.try_decrypt("") == ""
    assert crypto.try_decrypt("not a token") is None
    assert crypto.try_decrypt("gAAAA" + "x" * 80) is None
    foreign = fieldkey.Keyring((OTHER_KEY,), "file").encrypt(RID)
    assert crypto.try_decrypt(foreign) is None
    key_file(keyhome).unlink()
    fieldkey.forget()
    assert crypto.try_decrypt(token) is None  # no key at all: still no exception
    assert ring.decrypt(token) == RID


def test_the_blind_index_depends_on_the_key_and_search_can_use_every_key_of_the_ring(keyhome, db):
    ring = set_up(keyhome)
    both = fieldkey.Keyring((OTHER_KEY, ring.primary), "file")
    assert crypto.blind_index(RID) == ring.blind_index(RID) != both.blind_index(RID)
    assert both.blind_indexes(RID) == [both.blind_index(RID), ring.blind_index(RID)]
    assert both.decrypt(ring.encrypt(RID)) == RID  # during a rotation the old values stay readable


def test_the_web_answers_503_in_both_languages_with_a_wrong_key(keyhome, client, world):
    set_up(keyhome)
    client.force_login(world.gm)
    assert client.get(reverse("home")).status_code == 200
    key_file(keyhome).write_text(OTHER_KEY)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    body = response.content.decode()
    assert "is not the key of this database" in body
    assert body.count(fieldkey.short(fieldkey.fingerprint(OTHER_KEY))) == 2  # Chinese, then English
    api = client.get("/api/me")
    assert api.status_code == 503 and api.json()["detail"]
    key_file(keyhome).unlink()
    assert client.get(reverse("home")).status_code == 503  # missing: the same


def test_the_web_does_not_ask_the_database_on_every_request(keyhome, client, world, django_assert_num_queries):
    set_up(keyhome)
    client.get(reverse("login"))
    with django_assert_num_queries(0):
        client.get(reverse("login"))


def _rotate():
    return keys_cli.rotate(SimpleNamespace())


def _customers_with_ids(world, n=3):
    from yingke.customers.services import save_customer

    numbers = [RID, "110105198001010016", "440301199002150025"][:n]
    for customer, number in zip([world.c_am1, world.c_am2, world.c_am3], numbers, strict=False):
        save_customer(world.gm, customer, id_number=number)
    return numbers


def test_rotate_reencrypts_every_value_and_its_index_and_retires_the_old_key(keyhome, world, capsys):
    old = set_up(keyhome)
    numbers = _customers_with_ids(world)
    assert _rotate() == 0
    new = fieldkey.current()
    assert new.keys != old.keys and len(new.keys) == 1
    assert (keyhome / f"field_key.{old.fingerprints[0][:12]}.bak").read_text().strip() == old.primary
    only_new = fieldkey.Keyring((new.primary,), "file")
    for customer, number in zip([world.c_am1, world.c_am2, world.c_am3], numbers, strict=True):
        customer.refresh_from_db()
        assert only_new.decrypt(customer.id_number_enc) == number
        assert customer.id_number_hash == only_new.blind_index(number)
        with pytest.raises(Exception):  # noqa: B017 - the old key alone no longer reads it
            old.decrypt(customer.id_number_enc)
    assert fieldkey.active_fingerprints() == {new.fingerprints[0]}
    assert KeyFingerprint.objects.get(fingerprint=old.fingerprints[0]).retired_at is not None
    assert Customer.objects.filter(id_number_hash__in=crypto.blind_indexes(RID)).get() == world.c_am1


def test_an_interrupted_rotation_keeps_everything_readable_and_resumes(keyhome, world, monkeypatch, client):
    old = set_up(keyhome)
    _customers_with_ids(world)
    real = keys_cli._reencrypt

    def interrupted(ring):
        raise KeyboardInterrupt

    monkeypatch.setattr(keys_cli, "_reencrypt", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _rotate()
    ring = fieldkey.current()
    assert len(ring.keys) == 2 and ring.keys[1] == old.primary
    # Meanwhile the web goes on: old values read, new values written with the new key.
    assert fieldkey.web_problem() is None
    world.c_am1.refresh_from_db()
    assert crypto.try_decrypt(world.c_am1.id_number_enc) == RID
    assert ring.decrypts_with_primary(crypto.encrypt("x"))
    client.force_login(world.gm)
    assert client.get(reverse("customers:detail", args=[world.c_am1.pk])).status_code == 200
    monkeypatch.setattr(keys_cli, "_reencrypt", real)
    assert _rotate() == 0
    final = fieldkey.current()
    assert final.keys == (ring.primary,)
    world.c_am1.refresh_from_db()
    assert final.decrypt(world.c_am1.id_number_enc) == RID


def test_rotate_refuses_a_key_from_the_environment(keyhome, db, settings):
    set_up(keyhome)
    settings.FIELD_KEY = key_file(keyhome).read_text().strip()
    with pytest.raises(CliError, match="YINGKE_FIELD_KEY"):
        _rotate()


def test_home_is_0700_and_its_files_0600(tmp_path, monkeypatch):
    home = tmp_path / "h"
    monkeypatch.setenv("YINGKE_HOME", str(home))
    assert stat.S_IMODE(home_dir().stat().st_mode) == 0o700
    path = private_file(home / "audit.log")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loose = home / "secret_key"
    loose.write_text("x")
    queue = home / "jobs.sqlite3"  # the job queue holds import arguments
    queue.write_text("x")
    os.chmod(loose, 0o644)
    os.chmod(queue, 0o644)
    os.chmod(home, 0o755)
    home_dir()  # an older installation is tightened
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600 and stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(queue.stat().st_mode) == 0o600


def test_a_value_that_cannot_be_decrypted_never_gives_a_server_error(keyhome, world, client):
    """A damaged value or one written with a lost key: pages, edits and the API go on (R-12.1)."""
    from yingke.customers.services import save_customer

    set_up(keyhome)
    save_customer(world.gm, world.c_am1, id_number=RID)
    foreign = fieldkey.Keyring((OTHER_KEY,), "file").encrypt(RID)
    for bad in (foreign, "garbage"):
        Customer.objects.filter(pk=world.c_am1.pk).update(id_number_enc=bad)
        client.force_login(world.gm)
        pk = world.c_am1.pk
        for url in (reverse("customers:detail", args=[pk]), reverse("customers:edit", args=[pk]),
                    reverse("customers:list"), f"/api/customers/{pk}", f"/search/?q={RID}"):
            assert client.get(url).status_code == 200, url
        customer = Customer.objects.get(pk=pk)
        customer.name = "张三丰"
        save_customer(world.gm, customer)  # an edit that leaves the ID alone still saves
        assert Customer.objects.get(pk=pk).name == "张三丰"
