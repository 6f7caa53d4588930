"""A few complaints for the demo property (`yingke demo`), made through the services so that
every page of complaints has something true to show: open ones (one overdue), archived ones,
one resolved on the spot, one waiting for the general manager's approval."""

import datetime as dt
import random

from django.utils import timezone

from yingke.complaints import services
from yingke.complaints.models import Complaint, Step
from yingke.core.models import Outlet, User
from yingke.core.permissions import SYSTEM
from yingke.core.roles import Role
from yingke.customers.models import Customer

WORDS = [
    ("food", "high", "鱼不新鲜，而且上菜太慢。"),
    ("attitude", "medium", "前台服务员态度冷淡，办理入住等了二十分钟。"),
    ("facilities", "medium", "房间空调噪音很大，一夜没睡好。"),
    ("quality", "low", "客房打扫不干净，浴室有头发。"),
    ("price", "low", "账单里多收了一瓶酒水。"),
    ("security", "critical", "在大堂丢失了一个手提包。"),
    ("food", "medium", "菜品太咸，和上次来的味道不一样。"),
    ("other", "low", "停车场指示不清楚。"),
]
STEPS = {
    Step.APOLOGISED: {"apology": "当面致歉"},
    Step.VERIFIED: {"findings": "经核实情况属实"},
    Step.AGREED: {"solution": "赠送代金券并改进", "compensation": "voucher", "compensation_amount": "100"},
    Step.CARRIED_OUT: {"carried_out": "已送出代金券，已提醒相关员工"},
    Step.ARCHIVED: {"check_back": "电话回访，客人表示满意", "satisfaction": "satisfied"},
}


def add_demo_complaints(prop, seed: int = 7) -> int:
    if Complaint.objects.filter(property=prop).exists():
        return 0
    rng = random.Random(seed)
    guests = list(Customer.objects.filter(property=prop, kind=Customer.Kind.PERSON).order_by("pk")[:200])
    outlets = list(Outlet.objects.filter(property=prop))
    if not guests:
        return 0
    now = timezone.now()
    made = 0
    for i in range(24):
        kind, severity, words = WORDS[i % len(WORDS)]
        at = now - dt.timedelta(days=rng.randint(0, 150), hours=rng.randint(0, 12))
        c = services.record(SYSTEM, prop, kind=kind, severity=severity, words=words, customer=rng.choice(guests),
                            outlet=rng.choice(outlets) if outlets else None, location=f"{rng.randint(1, 30)}",
                            channel="in_person" if i % 3 else "phone", now=at)
        made += 1
        if i % 6 == 0 and at < now - dt.timedelta(hours=1):
            services.resolve_on_the_spot(SYSTEM, c, now=at + dt.timedelta(minutes=20), apology="当场致歉",
                                         solution="重新上菜", carried_out="已重新上菜",
                                         check_back="客人当场表示满意", satisfaction="satisfied")
            continue
        last = Step.ARCHIVED if i % 4 else Step(1 + i % 4)  # most archived, a few open at an early step
        t = at
        for step in range(Step.APOLOGISED, last + 1):
            t = t + dt.timedelta(hours=rng.randint(1, 20))
            if t >= now:
                break
            c = services.advance(SYSTEM, c, step, now=t, **STEPS[Step(step)])
    # one complaint waiting for the general manager's approval, proposed by the lobby manager
    desk = User.objects.filter(role=Role.FRONT_DESK, properties=prop, is_active=True).order_by("pk").first()
    actor = desk or SYSTEM
    c = services.record(actor, prop, kind="facilities", severity="high", words="热水器故障，洗澡时被烫伤。",
                        customer=guests[0], now=now - dt.timedelta(hours=5))
    for step in (Step.APOLOGISED, Step.VERIFIED):
        c = services.advance(actor, c, step, now=now - dt.timedelta(hours=5 - step), **STEPS[step])
    services.advance(actor, c, Step.AGREED, solution="免除房费并赔付医药费", compensation="amount",
                     compensation_amount="1800")
    return made + 1
