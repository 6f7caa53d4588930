"""Customer import (R-2.2, R-2.9, R-3.2): one row per guest file, keyed by customer code.

A new code is checked by customers.bulk.check_new (every check of save_customer) and
queued; `end_batch` writes the batch's new files with customers.bulk.create_many, so
validation, encryption, search keys and history are the same as in the UI, in a few
bulk statements. A known code whose row changes something is saved at once with
customers.services.save_customer (history records the change); an unchanged row writes
nothing. Empty cells keep the stored value; tags are added, never removed. A row whose
birthday or gender contradicts its resident ID number is rejected rather than silently
corrected.
"""

from operator import itemgetter

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yingke.core import permissions
from yingke.core.models import User
from yingke.core.parsing import choices, parse_choice, parse_date, split_list, text
from yingke.core.roles import OWNER_ROLES
from yingke.customers import bulk, services
from yingke.customers.identity import parse_resident_id
from yingke.customers.models import Customer, Module, SearchKey, Tag
from yingke.customers.pinyin import clean_name
from yingke.imports.columns import Column
from yingke.imports.pipeline import CREATED, UNCHANGED, UPDATED, Importer, Result, Row, RowRejected


def _label(field: str):
    return Customer._meta.get_field(field).verbose_name  # lazy; the same words as the UI


COLUMNS = [
    Column("customer_code", _label("customer_code"),
           ("客户编号", "客户代码", "客户号", "档案号", "客户编码", "编号", "code", "customer no", "customer id"),
           required=True),
    Column("name", _label("name"), ("姓名", "客户姓名", "客户名称", "名称", "name", "customer name", "full name"),
           required=True),
    Column("kind", _label("kind"), ("类型", "客户类型", "客户类别", "type", "customer type")),
    Column("mobile", _label("mobile"), ("手机", "手机号", "手机号码", "移动电话", "联系手机", "mobile phone",
                                    "mobile no", "cell", "cellphone", "phone")),
    Column("id_type", _label("id_type"), ("证件类型", "证件类别", "id type", "document type")),
    Column("id_number", _label("id_number_masked"), ("证件号", "证件号码", "身份证号", "身份证号码", "身份证", "id no",
                                          "id card", "document number")),
    Column("birth_date", _label("birth_date"), ("生日", "出生日期", "出生年月日", "birthday", "date of birth",
                                               "dob")),
    Column("gender", _label("gender"), ("性别", "sex")),
    Column("nationality", _label("nationality"), ("国籍", "country")),
    Column("employer", _label("employer"), ("单位", "工作单位", "公司", "所在单位", "company", "organisation")),
    Column("job_title", _label("job_title"), ("职务", "职位", "头衔", "title", "position")),
    Column("email", _label("email"), ("邮箱", "电子邮箱", "电子邮件", "e-mail", "mail")),
    Column("address", _label("address"), ("地址", "联系地址", "住址", "通讯地址")),
    Column("area", _label("area"), ("区域", "片区", "所在区域", "地区", "区县", "商圈", "area", "district", "region")),
    Column("marital_status", _label("marital_status"), ("婚姻状况", "婚姻", "婚否", "marital")),
    Column("card_no", _label("card_no"), ("会员卡号", "卡号", "会员号", "card no", "card", "member card",
                                          "membership no")),
    Column("nature", _label("nature"), ("单位性质", "性质", "企业性质")),
    Column("business", _label("business"), ("行业", "经营范围", "主营业务", "industry")),
    Column("legal_representative", _label("legal_representative"), ("法人", "法定代表人", "法人代表")),
    Column("owner", _label("owner"), ("客户经理", "客服经理", "负责人", "归属", "account manager")),
    Column("tags", _label("tags"), ("标签", "客户标签", "tag")),
    Column("module", _label("module"), ("模块", "客户模块", "module", "segment", "customer module")),
]

TEXT_FIELDS = ("name", "mobile", "nationality", "employer", "job_title", "email", "address", "area", "card_no",
               "business", "legal_representative")
KINDS = choices({"person": ("个人", "散客", "个人客户", "宾客", "individual", "personal", "p"),
                 "org": ("单位", "单位客户", "公司", "企业", "机构", "团体", "协议单位", "organisation",
                         "organization", "company", "corporate", "o")})
GENDERS = choices({"M": ("男", "男性", "先生", "male", "man"), "F": ("女", "女性", "女士", "小姐", "female", "woman")})
ID_TYPES = choices({
    "resident": ("身份证", "居民身份证", "二代身份证", "中国居民身份证", "id card", "idcard", "id"),
    "passport": ("护照",),
    "hkmo": ("港澳通行证", "回乡证", "港澳居民来往内地通行证", "home return permit"),
    "tw": ("台胞证", "台湾居民来往大陆通行证"),
    "other": ("其他", "其它"),
})
MARITAL = choices({"single": ("未婚", "单身"), "married": ("已婚",), "other": ("离异", "丧偶", "其他", "其它")})
NATURES = choices({
    "government": ("政府", "政府机关", "机关", "党政机关"), "soe": ("国企", "国有企业", "央企"),
    "institution": ("事业单位",), "private": ("私企", "民企", "民营企业", "私营企业"),
    "foreign": ("外企", "外资", "外资企业", "合资企业"), "other": ("其他", "其它"),
})
HINTS = {
    "kind": "个人、单位 / person, org", "gender": "男、女 / M, F",
    "id_type": "身份证、护照、港澳通行证、台胞证、其他 / resident, passport, hkmo, tw, other",
    "marital_status": "未婚、已婚、其他 / single, married, other",
    "nature": "政府、国企、事业单位、私企、外企、其他 / government, soe, institution, private, foreign, other",
}
# Fields compared to tell an update from an unchanged row (the ciphertext changes on every save).
COMPARED = [f.attname for f in Customer._meta.concrete_fields if f.attname not in ("id", "id_number_enc",
                                                                                   "updated_at")]
compared_values = itemgetter(*COMPARED)  # of a file's __dict__


CHOICE_COLUMNS = (("kind", KINDS), ("gender", GENDERS), ("id_type", ID_TYPES), ("marital_status", MARITAL),
                  ("nature", NATURES))


def module_key(value) -> str:
    """A module's name or code as a cell is compared with it: trimmed, full-width folded
    (core.parsing.text), inner spaces collapsed, any case."""
    return clean_name(text(value)).casefold()


class CustomerImporter(Importer):
    kind = "customers"
    columns = COLUMNS
    batch_size = 1000
    row_savepoint = False  # rows are checked before writing; new files are queued, save_customer is atomic
    ref_column = "customer_code"
    # the tables a big import writes, whose planner statistics it refreshes (not the whole database)
    bulk_models = (Customer, SearchKey, Customer.history.model, Customer.tags.through)

    def __init__(self, property, actor=permissions.SYSTEM):
        self.property, self.actor = property, actor
        self.seen: dict[str, int] = {}
        self.tags: dict[str, Tag] = {}
        self.load_tags()
        self.owner_rules: dict = {}  # bulk.check_new's memo of the owner rule per owner
        self.create_refused: PermissionDenied | None | bool = False  # False: not asked yet
        self.pending: list[tuple[Customer, list[str]]] = []  # new files of the batch, written by end_batch
        self.owners: dict[str, User] = {}
        for user in User.objects.filter(properties=property, role__in=OWNER_ROLES, is_active=True):
            self.owners.setdefault(user.username.lower(), user)
            if user.display_name:
                self.owners.setdefault(user.display_name, user)
        self.existing: dict[str, Customer] = {}
        self.load_modules()
        self.existing_tags: dict[int, set[str]] = {}  # tag names of the batch's known files

    def load_modules(self) -> None:
        """The property's modules (R-5.1) by name and by code, compared as `module_key` does."""
        self.modules: dict[str, Module] = {}
        modules = list(Module.objects.filter(property=self.property).order_by("sort_order", "id"))
        for module in modules:  # a name wins over another module's equal code
            self.modules.setdefault(module_key(module.name), module)
        for module in modules:
            self.modules.setdefault(module_key(module.code), module)
        self.module_hint = "、".join(f"{m.name} ({m.code})" for m in modules if m.is_active)

    def find_module(self, cell, existing: Customer | None) -> Module:
        """The module a cell names (name or code, any case, full-width or not). One taken out
        of use is refused unless the file has it already (re-importing an export changes nothing)."""
        module = self.modules.get(module_key(cell))
        if module is None:
            raise ValidationError(_("No customer module with this name or code in this property; use one of: "
                                    "%(modules)s.") % {"modules": self.module_hint or "—"})
        if not module.is_active and (existing is None or existing.module_id != module.pk):
            raise ValidationError(_("The customer module “%(module)s” is no longer in use; use one of: "
                                    "%(modules)s.") % {"module": module.name, "modules": self.module_hint or "—"})
        return module

    def code_of(self, row: Row) -> str:
        return clean_name(row.text("customer_code")).upper()

    def ref(self, row: Row) -> str:
        return self.code_of(row)

    def load_tags(self) -> None:
        self.tags = {t.name: t for t in Tag.objects.filter(property=self.property)}

    def start_batch(self, rows):
        self.pending = []
        self.batch_started = timezone.now()  # the creation time of the batch's new files
        codes = [c for c in (self.code_of(r) for r in rows) if c]
        self.existing = {c.customer_code: c for c in Customer.objects.filter(
            property=self.property, customer_code__in=codes)}
        self.existing_tags = {}
        for customer_id, name in Customer.tags.through.objects.filter(
                customer_id__in=[c.pk for c in self.existing.values()]).values_list("customer_id", "tag__name"):
            self.existing_tags.setdefault(customer_id, set()).add(name)

    def forget_batch(self, rows):
        super().forget_batch(rows)
        self.pending = []
        self.load_tags()  # tags made by rolled-back rows are gone

    def end_batch(self):
        """Write the batch's new files (and their tags) in bulk."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        missing = {n for _c, names in pending for n in names if n not in self.tags}
        if missing:
            Tag.objects.bulk_create([Tag(property=self.property, name=n) for n in sorted(missing)],
                                    ignore_conflicts=True)
            self.load_tags()
        customers = [c for c, _names in pending]
        tags = [[self.tags[n] for n in names] for _c, names in pending] if any(n for _c, n in pending) else None
        bulk.create_many(self.actor, customers, reason=f"import {self.table.name}", import_run=self.run, tags=tags)

    def require_create(self) -> None:
        """CREATE in the property, asked once (the answer cannot change during the import)."""
        if self.create_refused is False:
            try:
                permissions.require(self.actor, permissions.CREATE, self.property)
                self.create_refused = None
            except PermissionDenied as e:
                self.create_refused = e
        if self.create_refused is not None:
            raise self.create_refused

    def find_owner(self, cell) -> User:
        user = self.owners.get(clean_name(str(cell)).lower()) or self.owners.get(clean_name(str(cell)))
        if user is None:
            raise ValidationError(_("No account manager with this user name or name in this property."))
        return user

    def process_row(self, row: Row) -> Result:
        problems: list[tuple[str, str]] = []
        code = self.code_of(row)
        if not code:
            problems.append(("customer_code", _("The customer code is missing.")))
        elif code in self.seen:
            problems.append(("customer_code", _("This customer code is also on line %(line)d; each customer "
                                                "may appear only once.") % {"line": self.seen[code]}))
        else:
            self.seen[code] = row.line
        # Each mapped cell as text, once (Row.text normalises on every call).
        cells, index = row.cells, self.header.index
        texts = {key: text(cells[i]) if i < len(cells) else "" for key, i in index.items()}
        if not clean_name(texts.get("name", "")):
            problems.append(("name", _("The name is missing.")))
        values = {key: texts[key] for key in TEXT_FIELDS if texts.get(key)}
        if len(code) > 30:
            problems.append(("customer_code", _("At most 30 characters.")))
        for key, mapping in CHOICE_COLUMNS:
            if texts.get(key):
                value = self.parse(row, key, parse_choice, problems, mapping, HINTS[key])
                if value is not None:
                    values[key] = value
        if texts.get("birth_date"):
            birth = self.parse(row, "birth_date", parse_date, problems, self.table.format == "spreadsheet")
            if birth is not None:
                values["birth_date"] = birth
        owner = self.parse(row, "owner", self.find_owner, problems) if texts.get("owner") else None
        existing = self.existing.get(code)
        if texts.get("module"):  # empty keeps the stored module, like every other empty cell
            module = self.parse(row, "module", self.find_module, problems, existing)
            if module is not None:
                values["module"] = module
        id_number = texts["id_number"] if texts.get("id_number") else services.UNCHANGED
        self.check_id_consistency(existing, values, id_number, problems)
        tag_names = [n for n in (clean_name(n) for n in split_list(row.raw("tags"))) if n] \
            if texts.get("tags") else []
        too_long = [n for n in tag_names if len(n) > 30]
        if too_long:  # refused, never silently shortened
            problems.append(("tags", _("A tag has at most 30 characters: “%(tag)s”.") % {"tag": too_long[0]}))
        if problems:
            raise RowRejected(problems)
        reason = f"import {self.table.name} line {row.line}"
        if existing is None:
            self.require_create()
            if tag_names and not bulk.may_edit_new_files(self.actor):  # services.add_tags would refuse
                raise PermissionDenied(bulk.edit_refused_message())
            customer = bulk.new_customer(property=self.property, customer_code=code, owner=owner,
                                         created_at=self.batch_started, **values)
            customer._change_reason = reason
            problems = bulk.check_new(self.actor, customer, id_number, owners=self.owner_rules)
            if problems:
                raise RowRejected(problems)
            self.pending.append((customer, list(dict.fromkeys(tag_names))))
            return Result(row.line, CREATED, code)
        existing._change_reason = reason
        before = compared_values(existing.__dict__)
        for key, value in values.items():
            setattr(existing, key, value)
        if owner is not None:
            existing.owner = owner
        services.normalise(existing, id_number)
        old_tags = self.existing_tags.get(existing.pk, set())
        new_tags = [n for n in dict.fromkeys(clean_name(n) for n in tag_names) if n and n not in old_tags]
        changed = compared_values(existing.__dict__) != before
        if changed:
            services.save_customer(self.actor, existing)
        if new_tags:
            services.add_tags(self.actor, existing, self.tag_objects(new_tags))
        return Result(row.line, UPDATED if changed or new_tags else UNCHANGED, code)

    def check_id_consistency(self, existing, values, id_number, problems) -> None:
        """The resident ID is the authority on birth date and gender (R-2.9): refuse a row
        that contradicts it instead of silently overwriting what the user typed."""
        id_type = values.get("id_type", existing.id_type if existing else "")
        if id_type not in ("", Customer.IdType.RESIDENT):
            return
        if id_number is services.UNCHANGED:
            if existing is None or not existing.id_number_enc:
                return
            number = services.id_number_of(existing)
            if not number:  # stored, but unreadable with this key: nothing to compare with
                return
        else:
            number = id_number
        try:
            rid = parse_resident_id(number)
        except ValidationError as e:
            problems.append(("id_number", " ".join(e.messages)))
            return
        if "birth_date" in values and values["birth_date"] != rid.birth_date:
            problems.append(("birth_date", _("The date of birth does not match the ID card number (%(date)s).")
                             % {"date": rid.birth_date.isoformat()}))
        if "gender" in values and values["gender"] != rid.gender:
            problems.append(("gender", _("The gender does not match the ID card number.")))

    def tag_objects(self, names) -> list[Tag]:
        out = []
        for name in dict.fromkeys(clean_name(n) for n in names):
            if not name:
                continue
            if name not in self.tags:
                self.tags[name] = Tag.objects.get_or_create(property=self.property, name=name)[0]
            out.append(self.tags[name])
        return out
