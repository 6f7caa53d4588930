"""Mobile and ID numbers: validation, normalisation, masking (R-2.9, R-12.1)."""

import datetime as dt
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# First two digits of a resident ID: provinces, Hong Kong/Macau/Taiwan residents (81–83).
ID_REGIONS = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
}


def clean_text(value) -> str:
    """NFKC (full-width digits and letters become ASCII) and strip every space."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def normalize_mobile(raw) -> str:
    """Return a mainland mobile as 11 digits, another country's as E.164; '' stays ''.

    Raises ValidationError with a message for the user when the number is not a valid
    mobile number (phonenumbers.is_valid_number, not is_possible_number).
    """
    s = clean_text(raw).replace("-", "").replace("(", "").replace(")", "")
    if not s:
        return ""
    if s.startswith("00"):
        s = "+" + s[2:]
    if re.fullmatch(r"86\d{11}", s):
        s = "+" + s
    try:
        number = phonenumbers.parse(s, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("“%(value)s” is not a mobile number.") % {"value": raw}, code="mobile") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("“%(value)s” is not a valid mobile number.") % {"value": raw}, code="mobile")
    if number.country_code == 86:
        national = str(number.national_number)
        if phonenumbers.number_type(number) not in (
            phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
        ):
            raise ValidationError(_("“%(value)s” is not a mobile number.") % {"value": raw}, code="mobile")
        return national
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(mobile: str) -> str:
    """A stored mobile (normalised: digits, a leading + abroad) as 138****5678. Anything else
    (a contact phone typed with words, "13812345678 转 1203") shows no digit but its last four."""
    if not mobile:
        return ""
    if not re.fullmatch(r"\+?\d+", mobile):
        digits = [i for i, ch in enumerate(mobile) if ch.isdigit()]
        keep = set(digits[-4:])
        return "".join("*" if ch.isdigit() and i not in keep else ch for i, ch in enumerate(mobile))
    if len(mobile) >= 11:
        return mobile[:-8] + "****" + mobile[-4:]
    return "*" * (len(mobile) - 4) + mobile[-4:]


class ResidentId:
    """A validated 18-digit resident ID number with the facts it carries."""

    def __init__(self, number: str, birth_date: dt.date, gender: str):
        self.number, self.birth_date, self.gender = number, birth_date, gender


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def parse_resident_id(raw, today: dt.date | None = None) -> ResidentId:
    """Validate an 18-digit resident ID (region, birth date, checksum) and read it."""
    s = clean_text(raw).upper()
    if not re.fullmatch(r"\d{17}[\dX]", s):
        raise ValidationError(_("An ID card number has 18 characters: 17 digits and a digit or X."), code="id_format")
    if s[:2] not in ID_REGIONS:
        raise ValidationError(_("The ID card number starts with an unknown region code."), code="id_region")
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise ValidationError(_("The ID card number contains an impossible birth date."), code="id_birth") from None
    if birth.year < 1900 or birth > (today or dt.date.today()):
        raise ValidationError(_("The ID card number contains an impossible birth date."), code="id_birth")
    if id_check_char(s[:17]) != s[17]:
        raise ValidationError(_("The ID card number's check digit is wrong; please check the number."),
                              code="id_checksum")
    return ResidentId(s, birth, "M" if int(s[16]) % 2 else "F")


def normalize_id_number(id_type: str, raw) -> str:
    """Normalise an ID of any type; resident IDs are fully validated."""
    s = clean_text(raw).upper()
    if not s:
        return ""
    if id_type in ("", "resident"):
        return parse_resident_id(s).number
    if not re.fullmatch(r"[A-Z0-9]{5,20}", s):
        raise ValidationError(_("A document number has 5–20 letters or digits."), code="id_format")
    return s


def mask_id(number: str) -> str:
    if not number:
        return ""
    if len(number) <= 8:
        return number[:2] + "*" * (len(number) - 3) + number[-1:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
