"""A realistic customer file for the import benchmark (R-3.2): `bench_customer_file(path, n)`.

Deterministic (same n, same bytes): Chinese names with common and polyphonic surnames,
mobiles in the forms staff paste (spaces, dashes, +86), about a third with a resident
ID number (its birthday and gender agree), birthdays, employers, job titles, e-mails,
tags, some organisations. Every row is valid, so a run creates n files; a second run of
the same file finds every row unchanged.

    .venv/bin/python bench/customer_file.py /tmp/customers.csv 100000
"""

import csv
import datetime as dt
import random
import sys
from pathlib import Path

HEADER = ["客户编号", "姓名", "类型", "手机", "证件类型", "身份证号", "生日", "性别", "单位", "职务", "邮箱",
          "会员卡号", "标签", "备注"]
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
            "单区查解朴乐仇")
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "尉迟", "令狐", "长孙", "宇文")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕彬鹏辉建国志强海燕晓东子轩梓涵"
         "浩然思远一鸣雨萱欣怡俊杰宇航佳琪文博天佑乐行重阳长青朝晖")
ORGS = ("迎客科技有限公司", "华夏国际旅行社", "东方航空公司", "南山建设集团", "北辰投资管理有限公司", "西湖文化传媒",
        "长江实业", "平安保险", "招商银行", "中国移动", "省人民医院", "市第一中学", "天行贸易有限公司",
        "重庆火锅连锁", "乐行体育用品")
TITLES = ("总经理", "经理", "主任", "总监", "工程师", "教师", "医生", "销售", "会计", "董事长", "")
TAGS = ("VIP", "常客", "商务", "宴会", "会员", "协议客户", "长住", "家庭", "素食", "生日宴")
REGIONS = ("110105", "310104", "440305", "330106", "510107", "320102", "420106", "500103")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(rng, birth: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(10)}{seq:02d}"[:17]
    first17 = first17[:16] + str(int(first17[16]) // 2 * 2 + (1 if male else 0))
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _mobile(rng, i: int) -> str:
    prefix = rng.choice(("138", "139", "137", "150", "151", "186", "188", "135", "133", "177", "199"))
    digits = f"{prefix}{(i * 7919 + 12345678) % 100000000:08d}"
    style = i % 5
    if style == 1:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == 3:
        return f"+86 {digits}"
    return digits


def rows(n: int, seed: int = 12):
    rng = random.Random(seed)
    for i in range(1, n + 1):
        code = f"B{i:07d}"
        if i % 25 == 0:  # an organisation
            org = rng.choice(ORGS)
            name = (org if i % 50 else f"{org}{i // 50}分公司")
            yield [code, name, "单位", "", "", "", "", "", "", "", f"office{i}@example.com", "", "协议客户", ""]
            continue
        surname = rng.choice(DOUBLE_SURNAMES) if i % 40 == 7 else rng.choice(SURNAMES)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
        male = rng.random() < 0.5
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 20000))
        has_id = i % 3 == 0
        mobile = _mobile(rng, i) if i % 10 else ""
        tags = "，".join(rng.sample(TAGS, rng.choice((0, 1, 1, 2)))) if i % 4 else ""
        yield [
            code, surname + given, "个人", mobile,
            "身份证" if has_id else "",
            _id_number(rng, birth, male) if has_id else "",
            (birth.strftime("%Y/%m/%d") if i % 2 else birth.isoformat()) if has_id or i % 3 == 1 else "",
            ("男" if male else "女") if has_id or i % 3 == 1 else "",
            rng.choice(ORGS) if i % 2 else "",
            rng.choice(TITLES),
            f"guest{i}@example.com" if i % 7 == 0 else "",
            f"VIP{i:08d}" if i % 6 == 0 else "",
            tags,
            "老客人" if i % 11 == 0 else "",
        ]


def bench_customer_file(path, n: int, *, seed: int = 12, encoding: str = "utf-8-sig") -> Path:
    """Write n customer rows (plus the header) as CSV to `path`; returns the path."""
    path = Path(path)
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows(n, seed))
    return path


if __name__ == "__main__":
    out = bench_customer_file(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20000)
    print(out)
