"""The field-encryption key from the command line (R-12.1): created once for a new
installation, never silently replaced; commands refuse to start (status 2) with a missing or
wrong key; `yingke keys check` and `yingke keys rotate`."""

import stat

import pytest

from tests.cli.conftest import Cli
from yingke.core.fieldkey import Keyring, fingerprint, short

WRONG_KEY = "W" * 44


class KeyCli(Cli):
    """The CLI with the key from $YINGKE_HOME/field_key, whatever the test process has."""

    def env(self, lang=None):
        env = super().env(lang)
        env.pop("YINGKE_FIELD_KEY", None)
        return env


@pytest.fixture
def kcli(cli):
    return KeyCli(cli.home)


@pytest.fixture
def kfresh(fresh_cli):
    return KeyCli(fresh_cli.home)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_migrate_sets_up_a_new_installation_with_private_files(kfresh):
    proc = kfresh("migrate", lang="en")
    assert proc.returncode == 0, proc.output
    key = (kfresh.home / "field_key").read_text().strip()
    assert "Created a new field-encryption key" in proc.stdout and short(fingerprint(key)) in proc.stdout
    assert kfresh.sql("SELECT fingerprint FROM core_keyfingerprint WHERE retired_at IS NULL") == [(fingerprint(key),)]
    assert mode(kfresh.home) == 0o700
    for name in ("field_key", "secret_key", "yingke.sqlite3", "audit.log"):
        assert mode(kfresh.home / name) == 0o600, name
    again = kfresh("migrate", lang="en")
    assert again.returncode == 0 and "Created" not in again.output
    assert (kfresh.home / "field_key").read_text().strip() == key


@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "18763"], ["demo", "--customers", "1"],
                                     ["keys", "check"], ["keys", "rotate"]])
def test_commands_refuse_to_start_without_the_key(kcli, command):
    (kcli.home / "field_key").unlink()
    proc = kcli(*command, lang="en")
    assert proc.returncode == 2, proc.output
    assert "field-encryption key" in proc.stderr and "Traceback" not in proc.output
    assert not (kcli.home / "field_key").exists()  # never recreated


def test_import_refuses_to_start_with_a_wrong_key(kcli, tmp_path):
    kcli("property", "add", "H1", "--name", "酒店")
    csv = tmp_path / "guests.csv"
    csv.write_text("客户编号,姓名,证件号码\nC1,张三,11010519491231002X\n", encoding="utf-8")
    (kcli.home / "field_key").write_text(WRONG_KEY)
    proc = kcli("import", "customers", csv, "--property", "H1", lang="en")
    assert proc.returncode == 2, proc.output
    assert "is not the key of this database" in proc.stderr
    assert kcli.sql("SELECT count(*) FROM customers_customer") == [(0,)]


def test_a_wrong_key_is_refused_in_chinese_and_english(kcli):
    (kcli.home / "field_key").write_text(WRONG_KEY)
    en = kcli("migrate", lang="en")
    assert en.returncode == 2 and "is not the key of this database" in en.stderr
    assert short(fingerprint(WRONG_KEY)) in en.stderr
    zh = kcli("migrate")
    assert zh.returncode == 2 and short(fingerprint(WRONG_KEY)) in zh.stderr and "错误" in zh.stderr
    assert (kcli.home / "field_key").read_text() == WRONG_KEY


def test_keys_check_reports_agreement(kcli):
    proc = kcli("keys", "check", lang="en")
    assert proc.returncode == 0, proc.output
    assert "The key and the database agree" in proc.stdout


def test_keys_rotate_reencrypts_with_a_new_key_and_keeps_the_old_one(kcli):
    assert kcli("demo", "--customers", "40", "--visits", "0", "--password", "Demo-pass-2026").returncode == 0
    old = (kcli.home / "field_key").read_text().strip()
    before = kcli.sql("SELECT id, id_number_enc, id_number_hash FROM customers_customer WHERE id_number_enc != ''")
    assert before
    proc = kcli("keys", "rotate", lang="en")
    assert proc.returncode == 0, proc.output
    new = (kcli.home / "field_key").read_text().strip()
    assert new != old and "\n" not in new
    assert (kcli.home / f"field_key.{short(fingerprint(old))}.bak").read_text().strip() == old
    after = dict((row[0], row[1:]) for row in kcli.sql(
        "SELECT id, id_number_enc, id_number_hash FROM customers_customer WHERE id_number_enc != ''"))
    old_ring, new_ring = Keyring((old,), "file"), Keyring((new,), "file")
    for pk, enc, hash_ in before:
        plain = old_ring.decrypt(enc)
        assert new_ring.decrypt(after[pk][0]) == plain
        assert after[pk][1] == new_ring.blind_index(plain) != hash_
    assert kcli.sql("SELECT fingerprint FROM core_keyfingerprint WHERE retired_at IS NULL") == [(fingerprint(new),)]
    check = kcli("keys", "check", lang="en")
    assert check.returncode == 0 and f"all {len(before)} stored encrypted values can be read" in check.stdout
    # The old key is refused from now on.
    (kcli.home / "field_key").write_text(old)
    assert kcli("migrate").returncode == 2


def test_the_expiry_of_an_api_key_can_be_set(kcli):
    kcli("property", "add", "H1", "--name", "酒店")
    kcli("user", "add", "gm", "--role", "gm", "--property", "H1", "--password", "Yingke-test-2026")
    proc = kcli("token", "add", "gm", "--expires-in-days", "30", lang="en")
    assert proc.returncode == 0, proc.output
    assert "It expires on" in proc.stderr
    (expires,) = kcli.sql("SELECT expires_at FROM core_apitoken")[0]
    assert expires
    bad = kcli("token", "add", "gm", "--expires-in-days", "0", lang="en")
    assert bad.returncode == 2 and "between 1 and 3650" in bad.stderr
    assert kcli.sql("SELECT count(*) FROM core_apitoken") == [(1,)]
