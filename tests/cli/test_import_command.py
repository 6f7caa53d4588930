"""yingke import customers: CSV (UTF-8 BOM, GBK) and XLSX; exit 0/1/2; messages in Chinese
or English; history on update; a bad file changes nothing."""

import datetime as dt

import openpyxl
import pytest

from yingke.customers.identity import id_check_char

GOOD_ID = "11010519850612003" + id_check_char("11010519850612003")
BAD_ID = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
HEADER = "客户编号,姓名,手机,身份证号,生日,性别,单位,标签,备注"


@pytest.fixture
def h1(cli):
    assert cli("property", "add", "H1", "--name", "迎客大酒店").returncode == 0
    return cli


def write(path, lines, encoding="utf-8-sig"):
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def customers(cli):
    return dict(cli.sql("SELECT customer_code, name FROM customers_customer"))


def test_mixed_file_keeps_good_rows_and_reports_bad_ones(h1, tmp_path):
    path = write(tmp_path / "客户.csv", [
        HEADER,
        f"A001,张三,13812345678,{GOOD_ID},1985-06-12,男,迎客科技,VIP，常客,老客人",
        "A002,单田芳,1381234,,,,,,",
        f"A003,曾国藩,,{BAD_ID},,,,,",
        "A004,,13912345678,,,,,,",
        "A005,李四,,,1990/13/01,,,,",
        "A006,区丽华,139 1234 5679,,1990-01-02,女,,,",
    ])
    proc = h1("import", "customers", path, "--property", "H1")
    assert proc.returncode == 1, proc.output
    lines = proc.stderr.splitlines()
    assert "客户.csv 第 3 行，“手机”列，值“1381234”：" in lines[0]
    assert lines[1].startswith("客户.csv 第 4 行，“身份证号”列")
    assert lines[2] == "客户.csv 第 5 行，“姓名”列：缺少姓名。"
    assert lines[3] == "客户.csv 第 6 行，“生日”列，值“1990/13/01”：日期不存在。"
    assert "忽略的列：备注" in proc.stdout
    assert "新建 2，更新 0，未变 0，拒绝 4" in proc.stdout
    assert customers(h1) == {"A001": "张三", "A006": "区丽华"}


def test_english_messages_with_lang_en(h1, tmp_path):
    path = write(tmp_path / "c.csv", ["customer_code,name,mobile", "A1,Zhang San,13812345678", "A2,Li Si,123"])
    proc = h1("import", "customers", path, "--property", "H1", lang="en_US.UTF-8")
    assert proc.returncode == 1
    assert 'c.csv line 3, column “mobile”, value “123”: ' in proc.stderr
    assert "created 1, updated 0, unchanged 0, rejected 1" in proc.stdout


def test_all_good_update_keeps_history(h1, tmp_path):
    h1("user", "add", "am1", "--role", "account_manager", "--property", "H1", "--password", "Secret-pass-1")
    h1("user", "add", "gm1", "--role", "gm", "--property", "H1", "--password", "Secret-pass-1")
    first = write(tmp_path / "a.csv", ["编号,姓名,手机,客户经理", "A1,张三,13812345678,am1", "A2,李四,,"])
    proc = h1("import", "customers", first, "--property", "H1")
    assert proc.returncode == 0, proc.output
    assert "新建 2" in proc.stdout
    second = write(tmp_path / "b.csv", ["编号,姓名,邮箱", "A1,张三,zs@example.com", "A2,李四,"])
    proc = h1("import", "customers", second, "--property", "H1", "--user", "am1", lang="en")
    assert proc.returncode == 2 and "may not import files into this property" in proc.stderr
    proc = h1("import", "customers", second, "--property", "H1", "--user", "gm1")
    assert proc.returncode == 0, proc.output
    assert "新建 0，更新 1，未变 1，拒绝 0" in proc.stdout
    rows = h1.sql("SELECT h.history_type, h.email, u.username, h.history_change_reason "
                  "FROM customers_historicalcustomer h LEFT JOIN core_user u ON u.id = h.history_user_id "
                  "WHERE h.customer_code = 'A1' ORDER BY h.history_id")
    assert rows == [("+", "", None, "import a.csv line 2"), ("~", "zs@example.com", "gm1", "import b.csv line 2")]
    owner = h1.sql("SELECT u.username FROM customers_customer c JOIN core_user u ON u.id = c.owner_id "
                   "WHERE c.customer_code = 'A1'")
    assert owner == [("am1",)]


def test_gbk_csv_and_xlsx(h1, tmp_path):
    gbk = write(tmp_path / "gbk.csv", ["客户编号,姓名,手机", "G1,曾国藩,13912340001"], encoding="gbk")
    proc = h1("import", "customers", gbk, "--property", "H1")
    assert proc.returncode == 0, proc.output
    assert "gb18030" in proc.stdout
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户资料"
    ws.append(["客户资料导出"])
    ws.append(["姓名", "手机号", "客户编号", "出生日期", "类型"])
    ws.append(["欧阳娜娜", 13712345678, 5001, dt.date(1990, 3, 4), "个人"])
    ws.append(["迎客集团", None, 5002, None, "单位"])
    ws.append(["坏生日", None, 5003, "1990-02-30", None])
    wb.save(tmp_path / "c.xlsx")
    proc = h1("import", "customers", tmp_path / "c.xlsx", "--property", "H1", "--sheet", "客户资料")
    assert proc.returncode == 1, proc.output
    assert "表头在第 2 行" in proc.stdout
    assert "c.xlsx 第 5 行，“出生日期”列，值“1990-02-30”" in proc.stderr
    assert h1.sql("SELECT customer_code, mobile, kind, birth_date FROM customers_customer "
                  "WHERE customer_code LIKE '500%' ORDER BY customer_code") == [
        ("5001", "13712345678", "person", "1990-03-04"), ("5002", "", "org", None)]


def test_dry_run_changes_nothing(h1, tmp_path):
    path = write(tmp_path / "c.csv", ["编号,姓名", "D1,张三", "D2,"])
    proc = h1("import", "customers", path, "--property", "H1", "--dry-run")
    assert proc.returncode == 1
    assert "试运行，未做任何修改：新建 1" in proc.stdout
    assert customers(h1) == {}


@pytest.mark.parametrize("make,message", [
    (lambda p: p / "missing.csv", "找不到文件"),
    (lambda p: write(p / "c.csv", ["姓名,手机", "张三,13812345678"]), "缺少必需的列"),
    (lambda p: write(p / "c.csv", ["foo,bar", "1,2"]), "没有可识别的表头行"),
    (lambda p: (p / "c.xlsx").write_bytes(b"PK\x03\x04 broken") and p / "c.xlsx", "无法按电子表格读取"),
])
def test_unusable_files_exit_2_and_change_nothing(h1, tmp_path, make, message):
    proc = h1("import", "customers", make(tmp_path), "--property", "H1")
    assert proc.returncode == 2, proc.output
    assert message in proc.stderr
    assert customers(h1) == {}


def test_unknown_property_and_bad_usage(h1, tmp_path):
    path = write(tmp_path / "c.csv", ["编号,姓名", "A1,张三"])
    proc = h1("import", "customers", path, "--property", "NOPE", lang="en")
    assert proc.returncode == 2 and "unknown property “NOPE”" in proc.stderr
    assert h1("import", "customers", path).returncode == 2  # --property missing
    assert h1("import", "visitors", path, "--property", "H1").returncode == 2
    proc = h1("import", "customers", path, "--property", "H1", "--encoding", "klingon")
    assert proc.returncode == 2 and "未知编码" in proc.stderr
    assert customers(h1) == {}
