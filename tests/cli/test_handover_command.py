"""yingke handover --from U (--to U | --by-rules) --reason … (R-1.3): the real console script,
exit statuses, the summary line, nothing changed on a refusal; afterwards the member can be
deactivated."""

PASSWORD = "Gx7-lantern-9q"
EN = "en_US.UTF-8"


def setup(cli, tmp_path):
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    assert cli("property", "add", "H2", "--name", "迎客酒楼").returncode == 0
    for args in [("sm", "--role", "sales_manager", "--property", "H1"),
                 ("am1", "--role", "account_manager", "--manager", "sm", "--property", "H1"),
                 ("am2", "--role", "account_manager", "--manager", "sm", "--property", "H1"),
                 ("gm", "--role", "gm", "--property", "H1"),
                 ("gm2", "--role", "gm", "--property", "H2"),
                 ("am9", "--role", "account_manager", "--property", "H2"),
                 ("desk", "--role", "front_desk", "--property", "H1")]:
        proc = cli("user", "add", *args, "--password", PASSWORD)
        assert proc.returncode == 0, proc.output
    path = tmp_path / "guests.csv"
    path.write_text("客户编号,姓名,客户经理\n" + "".join(f"G{i:03d},客人{i},am1\n" for i in range(3)), encoding="utf-8")
    assert cli("import", "customers", path, "--property", "H1").returncode == 0


def owners(cli):
    return cli.sql("SELECT c.customer_code, u.username FROM customers_customer c "
                   "LEFT JOIN core_user u ON u.id = c.owner_id ORDER BY c.customer_code")


def test_hand_over_to_a_colleague(cli, tmp_path):
    setup(cli, tmp_path)
    proc = cli("handover", "--from", "am1", "--to", "am2", "--reason", "离职", lang=EN)
    assert proc.returncode == 0, proc.output
    assert "am2" in proc.stdout and "guest files 3" in proc.stdout and "H1" in proc.stdout
    assert owners(cli) == [("G000", "am2"), ("G001", "am2"), ("G002", "am2")]
    # recorded on each file: rule, reason, the handover; SYSTEM is recorded as nobody
    assert cli.sql("SELECT rule, reason, actor_id IS NULL, handover_id IS NOT NULL FROM control_assignment "
                   "WHERE rule = 'handover'") == [("handover", "离职", 1, 1)] * 3
    assert cli("user", "deactivate", "am1").returncode == 0
    # nothing left: refused, status 2
    again = cli("handover", "--from", "am1", "--to", "am2", "--reason", "again", lang=EN)
    assert again.returncode == 2 and "nothing to hand over" in again.stderr


def test_hand_over_by_the_rules_as_a_member_of_staff(cli, tmp_path):
    setup(cli, tmp_path)
    proc = cli("handover", "--from", "am1", "--by-rules", "--reason", "离职", "--user", "gm", "--property", "H1",
               lang=EN)
    assert proc.returncode == 0, proc.output
    assert "assignment rules" in proc.stdout
    assert {owner for _code, owner in owners(cli)} <= {"am2", "sm"}
    assert cli.sql("SELECT DISTINCT u.username FROM control_assignment a JOIN core_user u ON u.id = a.actor_id") == [
        ("gm",)]


def test_refusals_and_bad_usage_change_nothing(cli, tmp_path):
    setup(cli, tmp_path)
    before = owners(cli)
    for args, text in [
        (("--from", "nobody", "--to", "am2", "--reason", "x"), "nobody"),          # unknown user
        (("--from", "am1", "--to", "nobody", "--reason", "x"), "nobody"),
        (("--from", "am1", "--to", "am9", "--reason", "x"), "to"),                 # another property
        (("--from", "am1", "--to", "desk", "--reason", "x"), "to"),                # cannot own files
        (("--from", "am1", "--to", "am1", "--reason", "x"), "to"),                 # oneself
        (("--from", "am1", "--to", "am2", "--reason", "  "), "reason"),
        (("--from", "am1", "--to", "am2", "--reason", "bad\udcffreason"), "reason"),
        (("--from", "am1", "--to", "am2", "--reason", "x", "--property", "NOPE"), "NOPE"),
        (("--from", "am1", "--to", "am2", "--reason", "x", "--property", "H2"), "properties"),
        (("--from", "am1", "--to", "am2", "--reason", "x", "--user", "desk"), "hand over"),  # may not
        (("--from", "am1", "--to", "am2", "--reason", "x", "--user", "gm2"), "gm2"),        # not their staff
        (("--from", "am1", "--to", "am2", "--reason", "x", "--user", "am2"), "hand over"),
        (("--from", "am1", "--to", "am2", "--by-rules", "--reason", "x"), "not allowed"),   # argparse
        (("--from", "am1", "--reason", "x"), "required"),
        (("--from", "am1", "--to", "am2"), "required"),
    ]:
        proc = cli("handover", *args, lang=EN)
        assert proc.returncode == 2, (args, proc.output)
        assert text in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
    assert owners(cli) == before
    assert cli.sql("SELECT count(*) FROM control_handover") == [(0,)]


def test_messages_in_chinese_by_default(cli, tmp_path):
    setup(cli, tmp_path)
    proc = cli("user", "deactivate", "am1")
    assert proc.returncode == 2 and "yingke handover --from am1" in proc.stderr
    proc = cli("handover", "--from", "am1", "--to", "am2", "--reason", "离职")
    assert proc.returncode == 0 and "am2" in proc.stdout
