"""R-2.9: mobiles and ID numbers validated and normalised; R-12.1 masking."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yingke.customers.identity import (
    id_check_char,
    mask_id,
    mask_mobile,
    normalize_mobile,
    parse_resident_id,
)


def make_id(first17):
    return first17 + id_check_char(first17)


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678",
                                 "１３８１２３４５６７８"])
def test_mainland_mobiles_normalise_to_11_digits(raw):
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["1381234567", "12345678901", "138123456789", "abc", "010-12345678"])
def test_invalid_mobiles_rejected(raw):
    with pytest.raises(ValidationError):
        normalize_mobile(raw)


def test_foreign_mobile_kept_as_e164():
    assert normalize_mobile("+44 7911 123456") == "+447911123456"


def test_resident_id_gives_birth_date_and_gender():
    number = make_id("11010519491231002")
    rid = parse_resident_id(number)
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.gender == "F"  # 17th digit 2 is even
    male = parse_resident_id(make_id("44030419900307123"))
    assert male.gender == "M" and male.birth_date == dt.date(1990, 3, 7)


def test_resident_id_checksum_x_and_lowercase():
    number = "11010519491231002X"
    assert parse_resident_id(number.lower()).number == number


@pytest.mark.parametrize("raw", ["110105194912310021", "11010519491331002X", "99010519491231002X",
                                 "1101051949123100", "11010530000101002X"])
def test_bad_resident_ids_rejected(raw):
    with pytest.raises(ValidationError):
        parse_resident_id(raw)


def test_masks():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id("11010519491231002X") == "1101**********002X"
