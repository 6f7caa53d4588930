"""The default customer modules (客户模块, R-5.1), created with each property."""

from django.db import transaction

# (code, name, typical occasions (seed 000), natures for which the module is suggested)
DEFAULT_MODULES = [
    ("government", "政府", "被宴请, 政务接待", "government"),
    ("soe", "国企", "实务接待, 宴请, 被宴请", "soe"),
    ("institution", "事业单位", "事务接待, 商务宴请, 被宴请, 宴请", "institution"),
    ("private", "私企", "宴请, 业务接待, 商务洽谈", "private,foreign"),
    ("out_of_town", "外埠", "事务宴请, 商务洽谈, 社交就餐", ""),
    ("family", "个人家庭", "家宴, 生日宴, 社交就餐", "person"),
]


def ensure_default_modules(property, Module=None) -> None:
    """Create the six default modules of `property` unless it has modules already."""
    if Module is None:
        from yingke.customers.models import Module
    with transaction.atomic():
        if Module.objects.filter(property_id=property.pk).exists():
            return
        Module.objects.bulk_create([
            Module(property_id=property.pk, code=code, name=name, occasions=occasions, natures=natures,
                   sort_order=i)
            for i, (code, name, occasions, natures) in enumerate(DEFAULT_MODULES, 1)
        ])
