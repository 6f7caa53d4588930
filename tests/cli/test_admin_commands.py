"""yingke migrate / property add / user add / token add: exit status and messages."""

import hashlib

from django.contrib.auth.hashers import check_password


def test_migrate_on_a_fresh_home_then_up_to_date(fresh_cli):
    first = fresh_cli("migrate")
    assert first.returncode == 0, first.output
    assert "已执行" in first.stdout and str(fresh_cli.home) in first.stdout
    again = fresh_cli("migrate", lang="en_US.UTF-8")
    assert again.returncode == 0 and "up to date" in again.stdout


def test_commands_refuse_an_unmigrated_database(fresh_cli):
    proc = fresh_cli("property", "add", "H1", "--name", "迎客大酒店")
    assert proc.returncode == 2
    assert "yingke migrate" in proc.stderr


def test_property_add(cli):
    proc = cli("property", "add", "H1", "--name", "迎客大酒店")
    assert proc.returncode == 0, proc.output
    assert "已创建门店 H1" in proc.stdout
    proc = cli("property", "add", "R1", "--name", "Yingke Bistro", "--kind", "restaurant", lang="en_US.UTF-8")
    assert proc.returncode == 0 and "Created property R1" in proc.stdout
    assert cli.sql("SELECT code, name, kind FROM core_property ORDER BY code") == [
        ("H1", "迎客大酒店", "hotel"), ("R1", "Yingke Bistro", "restaurant")]
    dup = cli("property", "add", "h1", "--name", "again")
    assert dup.returncode == 2 and "已存在" in dup.stderr
    bad = cli("property", "add", "H 1", "--name", "bad code", lang="en")
    assert bad.returncode == 2 and "Error:" in bad.stderr
    usage = cli("property", "add", "H2")  # --name missing: argparse
    assert usage.returncode == 2
    assert cli.sql("SELECT count(*) FROM core_property") == [(2,)]
    listing = cli("property", "list")
    assert listing.returncode == 0 and "H1\t迎客大酒店" in listing.stdout


def test_user_add(cli, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # what the CLI stored
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    assert cli("property", "add", "H2", "--name", "迎客酒楼").returncode == 0
    proc = cli("user", "add", "sm", "--role", "sales_manager", "--property", "H1", "--password", "Secret-pass-1")
    assert proc.returncode == 0, proc.output
    assert "已创建员工 sm" in proc.stdout and "生成的密码" not in proc.stdout
    # no password and no terminal: one is generated and printed
    proc = cli("user", "add", "am1", "--role", "account_manager", "--property", "H1", "--property", "H2",
               "--manager", "sm", "--name", "王丽", lang="en_US.UTF-8")
    assert proc.returncode == 0, proc.output
    password = proc.stdout.split("Generated password: ")[1].strip()
    (encoded, role, display, manager), = cli.sql(
        "SELECT u.password, u.role, u.display_name, m.username FROM core_user u "
        "JOIN core_user m ON m.id = u.manager_id WHERE u.username = 'am1'")
    assert (role, display, manager) == ("account_manager", "王丽", "sm")
    assert check_password(password, encoded)
    assert sorted(r[0] for r in cli.sql(
        "SELECT p.code FROM core_user_properties up JOIN core_property p ON p.id = up.property_id "
        "JOIN core_user u ON u.id = up.user_id WHERE u.username = 'am1'")) == ["H1", "H2"]

    for args, message in [
        (("am1", "--role", "gm", "--property", "H1"), "已存在"),
        (("x", "--role", "gm", "--property", "NOPE"), "NOPE"),
        (("x", "--role", "account_manager", "--property", "H1", "--manager", "am1"), "不是销售经理"),
        (("x", "--role", "gm", "--property", "H1", "--password", "short"), "10"),
    ]:
        proc = cli("user", "add", *args)
        assert proc.returncode == 2, proc.output
        assert message in proc.stderr
    assert cli("user", "add", "x", "--role", "chef", "--property", "H1").returncode == 2  # argparse choices
    assert cli.sql("SELECT count(*) FROM core_user") == [(2,)]


def test_token_add(cli):
    cli("property", "add", "H1", "--name", "迎客大酒店")
    cli("user", "add", "am1", "--role", "account_manager", "--property", "H1", "--password", "Secret-pass-1")
    proc = cli("token", "add", "am1", "--name", "POS")
    assert proc.returncode == 0, proc.output
    key = proc.stdout.strip()
    assert key.startswith("yk_") and "只显示这一次" in proc.stderr
    assert cli.sql("SELECT name, key_hash FROM core_apitoken") == [("POS", hashlib.sha256(key.encode()).hexdigest())]
    missing = cli("token", "add", "nobody", lang="en")
    assert missing.returncode == 2 and "unknown user" in missing.stderr
