"""Defaults created with each property: grading parameters (R-4) and reasons for loss (R-9.1)."""

from django.db import transaction

DEFAULT_LOSS_REASONS = [
    ("gave_up", "我方放弃"),
    ("left", "自行离开"),
    ("poached", "被竞争对手挖走"),
    ("attracted", "被别处吸引"),
    ("forced", "被迫离开"),
    ("other", "其他"),
]


def ensure_defaults(property, GradingPolicy=None, LossReason=None) -> None:
    """Give `property` its grading parameters and the six reasons for loss, if missing."""
    if GradingPolicy is None:
        from yingke.grading.models import GradingPolicy, LossReason
    with transaction.atomic():
        GradingPolicy.objects.get_or_create(property_id=property.pk)
        if not LossReason.objects.filter(property_id=property.pk).exists():
            LossReason.objects.bulk_create([
                LossReason(property_id=property.pk, code=code, name=name, sort_order=i)
                for i, (code, name) in enumerate(DEFAULT_LOSS_REASONS, 1)
            ])
