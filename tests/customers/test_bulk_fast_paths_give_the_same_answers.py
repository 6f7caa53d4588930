"""The shortcuts that make bulk imports fast answer exactly as the slow paths they skip:
the mobile check (phonenumbers), the pinyin in context (pypinyin), the field checks
(Model.full_clean) and the customer constructor (R-2.7, R-2.9, R-3.2)."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PINYIN_DICT

from yingke.customers import bulk, identity
from yingke.customers.models import Customer
from yingke.customers.pinyin import context_readings


def answer(fn, raw):
    try:
        return fn(raw)
    except ValidationError as e:
        return ("refused", tuple(e.messages))


def test_mobile_fast_path_equals_phonenumbers():
    rng = random.Random(7)
    samples = []
    for prefix in range(100, 200):  # every 3-digit start, 1xx
        for _ in range(40):
            digits = f"{prefix}{rng.randrange(10**8):08d}"
            samples.append(digits)
            samples.append(rng.choice([f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"{digits[:3]}-{digits[3:7]}-"
                                       f"{digits[7:]}", f"+86 {digits}", f"0086{digits}", f"86{digits}"]))
    for start in range(13000, 20000, 7):  # the 5-digit ranges phonenumbers distinguishes
        samples.append(f"{start}{rng.randrange(10**6):06d}")
    samples += ["", "1381234", "138123456789", "+852 9123 4567", "１３８１２３４５６７８", "138 1234 567８",
                "1381234567x", "17912345678", "17400012345", "14512345678", "+1 202 555 0123"]
    for raw in samples:
        assert answer(bulk.normalize_mobile, raw) == answer(identity.normalize_mobile, raw), raw


def test_pinyin_in_context_equals_pypinyin():
    rng = random.Random(3)
    pool = [chr(k) for k in PINYIN_DICT if 0x4E00 <= k <= 0x9FFF]
    # common name characters and polyphonic ones that phrases read differently
    common = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗长重行乐朝曾单解查区仇朴盖缪覃种折都华任宁的了和地得着还只银行音乐"
    names = ["重庆", "银行", "长孙无忌", "单田芳", "曾国藩", "乐行", "朝阳", "行长"]
    for i in range(20000):
        src = common if i % 2 else pool
        names.append("".join(rng.choice(src) for _ in range(rng.choice((1, 2, 3, 3, 4)))))
    for han in names:
        assert context_readings(han) == lazy_pinyin(han, style=Style.NORMAL), han


FIELD_CASES = [
    dict(name="张三"),
    dict(name="", customer_code=""),
    dict(name="张" * 101, customer_code="X" * 31, email="nope", gender="X", kind="robot"),
    dict(name="a\x00b", birth_date=dt.date(1899, 12, 31), discount_rate=Decimal("0.000")),
    dict(name="张三", discount_rate=Decimal("1.5"), agreed_room_rate=Decimal("-1"), birth_date=dt.date(1990, 1, 1)),
    dict(name="张三", discount_rate=Decimal("0.850"), agreed_room_rate=Decimal("1234.50"), email="a@b.cn"),
    dict(name="张三", visit_count=-1, total_spend=Decimal("1e20"), nationality="x" * 51),
    dict(name="张三", birth_date="1990-02-30"),
]


@pytest.mark.parametrize("fields", FIELD_CASES)
def test_field_checks_equal_full_clean(fields):
    exclude = ["property", "owner", "created_by"]
    for _round in range(2):  # the second round answers from what the first remembered
        a = Customer(**{"customer_code": "C1", **fields})
        b = Customer(**{"customer_code": "C1", **fields})
        try:
            a.full_clean(exclude=exclude)
            expected = {}
        except ValidationError as e:
            expected = e.message_dict
        assert bulk.clean_fields(b, exclude) == expected
        if not expected:
            assert {k: v for k, v in a.__dict__.items() if k not in ("_state", "created_at")} == \
                {k: v for k, v in b.__dict__.items() if k not in ("_state", "created_at")}


def test_new_customer_equals_the_model_constructor(world):
    for values in (dict(property=world.h1, customer_code="X", name="Y"),
                   dict(property=world.h1, owner=world.am1, kind="org", birth_date=dt.date(1990, 1, 1)),
                   dict(property_id=world.h1.pk, owner_id=None, mobile="138")):
        a, b = Customer(**values), bulk.new_customer(**values)
        assert {k: v for k, v in a.__dict__.items() if k not in ("_state", "created_at")} == \
            {k: v for k, v in b.__dict__.items() if k not in ("_state", "created_at")}
        assert a._state.adding and b._state.adding and b.created_at >= a.created_at
        assert a.consumption is not b.consumption
    with pytest.raises(TypeError):
        bulk.new_customer(nonsense=1)


def test_a_model_level_check_still_runs(monkeypatch):
    """Should Customer gain a clean() one day, the fast field checks still ask it (as full_clean)."""
    def clean(self):
        if self.name == "坏":
            raise ValidationError("整个文件不对")

    monkeypatch.setattr(Customer, "clean", clean, raising=False)
    assert bulk.clean_fields(Customer(customer_code="C1", name="坏"), ["property"]) == {"customer_code": ["整个文件不对"]}
    assert bulk.clean_fields(Customer(customer_code="C1", name="好"), ["property"]) == {}
