"""yingke outlet add|list, user list|deactivate|reactivate (R-1.1, R-1.3): the real console
script, exit statuses and messages in Chinese and English."""

PASSWORD = "Gx7-lantern-9q"


def setup(cli):
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    assert cli("property", "add", "H2", "--name", "迎客酒楼", "--kind", "restaurant").returncode == 0
    for args in [("sm", "--role", "sales_manager"), ("am1", "--role", "account_manager", "--manager", "sm"),
                 ("desk", "--role", "front_desk")]:
        proc = cli("user", "add", *args, "--property", "H1", "--password", PASSWORD)
        assert proc.returncode == 0, proc.output


def test_outlet_add_and_list(cli):
    setup(cli)
    proc = cli("outlet", "add", "H1", "CN", "--name", "中餐厅", "--kind", "restaurant", "--capacity", "30")
    assert proc.returncode == 0, proc.output
    assert "CN" in proc.stdout and "30" in proc.stdout
    proc = cli("outlet", "add", "h1", "RM", "--name", "客房", "--kind", "rooms", "--capacity", "120", lang="en_US.UTF-8")
    assert proc.returncode == 0 and "Created outlet RM of H1" in proc.stdout and "120 rooms" in proc.stdout
    assert cli("outlet", "add", "H2", "CN", "--name", "大堂", "--capacity", "20").returncode == 0  # per property
    assert cli.sql("SELECT p.code, o.code, o.name, o.kind, o.capacity FROM core_outlet o "
                   "JOIN core_property p ON p.id = o.property_id ORDER BY p.code, o.code") == [
        ("H1", "CN", "中餐厅", "restaurant", 30), ("H1", "RM", "客房", "rooms", 120), ("H2", "CN", "大堂", "restaurant", 20)]
    listing = cli("outlet", "list", "H1")
    assert listing.returncode == 0
    assert [line.split("\t")[:3] for line in listing.stdout.splitlines()] == [["H1", "CN", "中餐厅"], ["H1", "RM", "客房"]]
    assert len(cli("outlet", "list").stdout.splitlines()) == 3
    event = cli.sql("SELECT username, action, target FROM core_auditevent WHERE action = 'config.outlet.create' "
                    "ORDER BY id LIMIT 1")
    assert event == [("system", "config.outlet.create", "outlet:H1/CN")]


def test_outlet_add_refuses_bad_input_with_status_2(cli):
    setup(cli)
    assert cli("outlet", "add", "H1", "CN", "--name", "中餐厅").returncode == 0
    for args, text in [
        (("H1", "CN", "--name", "again"), "CN"),                       # duplicate code in the property
        (("H1", "B Q", "--name", "x"), "code"),                        # bad code
        (("H1", "BQ", "--name", "x", "--capacity", "-1"), "capacity"),
        (("H1", "BQ", "--name", "   "), "name"),
        (("H1", "BQ", "--name", "x" * 101), "name"),
        (("NOPE", "BQ", "--name", "x"), "NOPE"),                       # unknown property
        (("H\udcff", "BQ", "--name", "x"), "H"),                       # undecodable argument
        (("H1", "BQ", "--name", "bad\udcffname"), "name"),
    ]:
        proc = cli("outlet", "add", *args)
        assert proc.returncode == 2, (args, proc.output)
        assert text in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
    assert cli("outlet", "add", "H1", "BQ", "--name", "x", "--kind", "spa").returncode == 2  # argparse choices
    assert cli.sql("SELECT count(*) FROM core_outlet") == [(1,)]


def test_user_list(cli):
    setup(cli)
    proc = cli("user", "list")
    assert proc.returncode == 0
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert [r[0] for r in rows] == ["am1", "desk", "sm"]
    am1 = rows[0]
    assert am1[3] == "H1" and am1[4] == "sm"
    assert cli("user", "list", "--property", "H2").stdout == ""
    assert [line.split("\t")[0] for line in cli("user", "list", "--role", "sales_manager").stdout.splitlines()] == ["sm"]
    assert cli("user", "list", "--property", "NOPE").returncode == 2


def owns_file(cli, tmp_path, username, n=1):
    rows = "".join(f"G{i:03d},客人{i},{username}\n" for i in range(n))
    path = tmp_path / "guests.csv"
    path.write_text("客户编号,姓名,客户经理\n" + rows, encoding="utf-8")
    proc = cli("import", "customers", path, "--property", "H1")
    assert proc.returncode == 0, proc.output


def test_user_deactivate_refused_while_owning_files(cli, tmp_path):
    setup(cli)
    owns_file(cli, tmp_path, "am1", n=3)
    proc = cli("user", "deactivate", "am1")
    assert proc.returncode == 2
    assert "3" in proc.stderr and "移交" in proc.stderr
    english = cli("user", "deactivate", "am1", lang="en_US.UTF-8")
    assert english.returncode == 2 and "3 guest files" in english.stderr and "hand them over" in english.stderr
    team = cli("user", "deactivate", "sm", lang="en_US.UTF-8")
    assert team.returncode == 2 and "1 account manager" in team.stderr
    assert cli.sql("SELECT username FROM core_user WHERE is_active = 0") == []
    assert cli.sql("SELECT count(*) FROM core_auditevent WHERE action LIKE 'config.staff.%'") == [(0,)]


def test_user_deactivate_and_reactivate(cli):
    setup(cli)
    proc = cli("user", "deactivate", "desk")
    assert proc.returncode == 0, proc.output
    assert cli.sql("SELECT is_active FROM core_user WHERE username = 'desk'") == [(0,)]
    again = cli("user", "deactivate", "desk", lang="en_US.UTF-8")
    assert again.returncode == 0 and "already deactivated" in again.stdout
    assert cli("user", "reactivate", "desk").returncode == 0
    assert cli.sql("SELECT is_active FROM core_user WHERE username = 'desk'") == [(1,)]
    assert cli.sql("SELECT username, action FROM core_auditevent WHERE action LIKE 'config.staff.%' ORDER BY id") == [
        ("system", "config.staff.deactivate"), ("system", "config.staff.reactivate")]
    assert cli("user", "deactivate", "nobody").returncode == 2
    assert cli("user", "deactivate", "\udcff").returncode == 2
