"""Finding and tracking demo data for the demo property (`yingke demo`), made through the services
so that every tracking page has something true to show: leads from all seven sources at every
stage (some dropped, some converted, with visits after the conversion), follow-ups with their
ordinals on leads and on files that already have visits, tasks (a few overdue), commitments,
opportunities at every pipeline stage, and a year of marketing spend per source.

`add_demo(prop, seed)` does nothing when the property already has leads (run twice, it adds
nothing). Times are spread over the last year: rows are made now and then dated back."""

import datetime as dt
import random
from decimal import Decimal

from yingke.core.models import User
from yingke.core.periods import month_end
from yingke.core.permissions import SYSTEM
from yingke.core.roles import Role
from yingke.customers.models import Customer
from yingke.tracking import pipeline, services, spend
from yingke.tracking.models import Channel, Lead, Outcome, Source, Stage, Task, TaskRole
from yingke.visits.models import Visit
from yingke.visits.services import record_visit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["建国", "丽华", "志强", "秀英", "海涛", "晓燕", "明", "静", "伟", "芳", "磊", "婷", "军", "敏", "浩"]
EMPLOYERS = ["华润置地", "中国银行分行", "市第一人民医院", "恒信汽车", "远大建设", "新东方学校", "市律师协会",
             "蓝天旅行社", "金鼎投资", "盛世婚庆"]
SUMMARIES = ["电话介绍了酒店宴会厅和年会套餐，对方有兴趣。", "微信发送了菜单和包间照片。", "上门拜访，留下了资料。",
             "邀请参加店庆活动，对方答应考虑。", "确认了下月商务宴请的需求。", "短信问候，暂无回复。"]
NEXT_STEPS = ["下周再电话跟进", "寄送宴会报价", "邀请来店品鉴", "约见采购负责人"]
SPEND_BASE = {Source.DOOR_TO_DOOR: 800, Source.MARKETING: 6000, Source.REFERRAL: 1500, Source.DATA_LOOKUP: 300,
              Source.INFORMANT: 2000, Source.OWN_RECORDS: 0, Source.EVENTS: 4000}
OPPORTUNITIES = [("banquet", "公司年会宴请", 68000), ("wedding", "婚宴（20桌）", 128000), ("group", "会议团队住宿", 45000),
                 ("corporate", "年度协议价合作", 200000), ("banquet", "寿宴（8桌）", 36000), ("other", "包间长期预订", 15000)]


def _name(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _follow(lead_or_file, when, rng, outcome=None):
    return services.log_follow_up(SYSTEM, lead_or_file, channel=rng.choice(Channel.values),
                                  outcome=outcome or rng.choice([Outcome.REACHED, Outcome.INTERESTED, Outcome.REACHED,
                                                                 Outcome.NO_ANSWER]),
                                  summary=rng.choice(SUMMARIES), occurred_at=when)


def add_demo(prop, seed: int = 15) -> int:
    """Demo tracking data for `prop`; returns the number of leads made (0 when it had leads)."""
    if Lead.objects.filter(property=prop).exists():
        return 0
    rng = random.Random(seed)
    # Times from the start of the property's today, not the clock: the same seed gives the same rows.
    now = prop.day_start(prop.local_today())
    has_visits = Visit.objects.filter(property=prop).exists()  # `demo --visits 0` adds none here either
    # Leads that become customers are people who already have a file (the demo keeps its --customers
    # count): each is linked to its file on conversion, as a lead matching an existing file is.
    files = list(Customer.objects.filter(property=prop, kind=Customer.Kind.PERSON, owner__isnull=False)
                 .order_by("-pk")[:len(Source.values)])
    managers = list(User.objects.filter(properties=prop, role=Role.ACCOUNT_MANAGER, is_active=True).order_by("pk"))
    if not managers:
        return 0
    referrers = list(Customer.objects.filter(property=prop, kind=Customer.Kind.PERSON).order_by("pk")[:50])
    made = 0
    converted = []
    stages = list(Stage.values)
    for i, source in enumerate(Source.values):
        for j, stage in enumerate(stages + [Stage.FINE, Stage.CONTACTED]):  # every stage, and two to drop
            owner = managers[(i + j) % len(managers)]
            data = {"name": _name(rng), "source": source, "owner": owner, "employer": rng.choice(EMPLOYERS),
                    "mobile": f"139{seed:02d}{i:02d}{j:02d}{rng.randint(0, 99):02d}"[:11]}
            existing = files[i] if stage == Stage.CUSTOMER and i < len(files) else None
            if existing is not None:
                data.update(name=existing.name, mobile=existing.mobile, employer=existing.employer,
                            owner=existing.owner)
                owner = existing.owner
            if source == Source.REFERRAL and referrers:
                data["referrer"] = rng.choice(referrers)
            if source == Source.INFORMANT:
                data["informant"] = "老周（物业经理）"
            lead = services.create_lead(SYSTEM, prop, **data)
            made += 1
            created = now - dt.timedelta(days=rng.randint(60, 330))
            # follow-ups: more of them the further the lead got (seed 001: most business after the fourth)
            count = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: rng.randint(2, 8)}[stage]
            when = created
            for _k in range(count):
                if when + dt.timedelta(days=10) >= now:
                    break
                when = when + dt.timedelta(days=rng.randint(3, 9))
                _follow(lead, when, rng, Outcome.INTERESTED if stage > 2 else None)
            if stage == Stage.CUSTOMER and existing is not None:
                file = services.convert(SYSTEM, lead, customer=existing)
                won_at = min(when + dt.timedelta(days=rng.randint(1, 5)), now - dt.timedelta(hours=1))
                converted.append((file, won_at, owner))
                Lead.objects.filter(pk=lead.pk).update(converted_at=won_at, stage_changed_at=won_at)
            else:
                if stage > Stage.TARGET:
                    services.move_stage(SYSTEM, lead, min(stage, Stage.PLAN))
                if j >= len(stages):
                    services.drop_lead(SYSTEM, lead, "暂无需求")
            Lead.objects.filter(pk=lead.pk).update(created_at=created)

    # visits of the won customers after their conversion, with more follow-ups between them
    for file, won_at, owner in converted if has_visits else []:
        t = won_at
        for _k in range(rng.randint(2, 6)):
            t = t + dt.timedelta(days=rng.randint(7, 30))
            if t >= now:
                break
            if rng.random() < 0.6:
                _follow(file, t - dt.timedelta(days=2), rng, Outcome.REACHED)
            dinner = prop.day_start(prop.local_day(t), dt.time(18, 30))  # dinner, like the demo's other visits
            record_visit(SYSTEM, file, occurred_at=dinner, amount=Decimal(rng.choice([880, 1680, 2680, 5800, 12800])),
                         covers=rng.randint(2, 12), served_by=owner)

    # follow-ups on files that already have visits: the revenue report by ordinal
    regulars = list(Customer.objects.filter(property=prop, owner__isnull=False, visits__isnull=False)
                    .distinct().order_by("pk")[:60])
    for c in regulars:
        first = Visit.objects.filter(customer=c, voided_at__isnull=True).order_by("occurred_at").first()
        if first is None:
            continue
        t = first.occurred_at - dt.timedelta(days=rng.randint(1, 30))
        for _k in range(rng.randint(1, 9)):
            if t >= now:
                break
            _follow(c, t, rng)
            t = t + dt.timedelta(days=rng.randint(10, 45))

    # tasks: a few due soon, a few overdue (escalated by the scheduler)
    today = prop.local_today()
    open_leads = list(Lead.objects.filter(property=prop, dropped_at__isnull=True, customer__isnull=True)
                      .order_by("pk")[:8])
    for n, lead in enumerate(open_leads):
        if n % 2:
            services.add_task(SYSTEM, lead, title=rng.choice(NEXT_STEPS), due_on=today + dt.timedelta(days=n),
                              assignee=lead.owner)
        else:
            Task.objects.create(property=prop, lead=lead, title=rng.choice(NEXT_STEPS), role=TaskRole.ACCOUNT_MANAGER,
                                assignee=lead.owner, due_on=today - dt.timedelta(days=n + 1))

    # commitments: kept, open and overdue
    for n, (file, _won, owner) in enumerate(converted[:6]):
        c = services.add_commitment(SYSTEM, file, promised=rng.choice(["赠送生日蛋糕", "预留靠窗包间", "寄送年会方案",
                                                                       "安排试菜"]),
                                    due_on=today + dt.timedelta(days=n - 2), to_whom=file.name, owner=owner)
        if n == 0:
            services.keep_commitment(SYSTEM, c, "已按时办妥")

    # opportunities at every stage
    for n, (kind, title, amount) in enumerate(OPPORTUNITIES):
        file, _won, owner = converted[n % len(converted)] if converted else (None, None, None)
        if file is None:
            break
        opp = pipeline.create_opportunity(SYSTEM, prop, customer=file, kind=kind, title=title, amount=amount,
                                          expected_on=today + dt.timedelta(days=20 + 25 * n), owner=owner)
        target = ["inquiry", "proposal", "negotiation", "won", "lost", "proposal"][n]
        if target == "won":
            visits = list(Visit.objects.filter(customer=file, voided_at__isnull=True).order_by("-occurred_at")[:1])
            pipeline.move_stage(SYSTEM, opp, target, visits=visits)
        elif target == "lost":
            pipeline.move_stage(SYSTEM, opp, target, lost_reason="选择了其他酒店")
        elif target != "inquiry":
            pipeline.move_stage(SYSTEM, opp, target)

    # a year of spend per source
    month = today.replace(day=1)
    for _m in range(12):
        for source, base in SPEND_BASE.items():
            if base:
                amount = Decimal(base) * Decimal(rng.randint(70, 130)) / 100
                spend.set_spend(SYSTEM, prop, source, month, amount.quantize(Decimal("0.01")), "")
        month = (month - dt.timedelta(days=1)).replace(day=1)

    # visit plans: the first account manager's plan of this month, approved by their sales
    # manager, with a visit reported, one whose report is late and one to come; next month's draft
    from yingke.tracking import plans

    am = managers[0]
    own = list(Customer.objects.filter(property=prop, owner=am).order_by("pk")[:5])
    if len(own) == 5 and today.day >= 8:
        plan = plans.create_plan(am, prop, today)
        lines = [plans.add_line(am, plan, customer=c, planned_on=day, purpose=purpose) for c, day, purpose in (
            (own[0], today - dt.timedelta(days=6), "回访年会需求"), (own[1], today - dt.timedelta(days=4), "介绍新菜单"),
            (own[2], min(today + dt.timedelta(days=2), month_end(today)), "商谈协议价"))]
        plans.submit_plan(am, plan)
        if am.manager_id:
            plans.decide_plan(am.manager, plan, True, "同意")
        plans.create_report(am, own[0], visited_on=lines[0].planned_on, purpose=lines[0].purpose,
                            outcome="客户确认年会 12 桌，需要报价", next_steps="三天内发报价",
                            promises=[{"promised": "发送年会报价", "to_whom": own[0].name,
                                       "due_on": lines[0].planned_on + dt.timedelta(days=3)}], planned=lines[0])
        draft = plans.create_plan(am, prop, plans.next_month(today))
        plans.add_line(am, draft, customer=own[3], planned_on=plans.next_month(today) + dt.timedelta(days=4),
                       purpose="节前拜访")

    # the cadence rules as if in use for a fortnight, and one scheduler run: the demo's recent files
    # get their due follow-ups, as a property running for a while would have them
    from yingke.tracking.cadence import CATCH_UP_DAYS, run_scheduler
    from yingke.tracking.models import CadenceRule, SchedulerRun

    CadenceRule.objects.filter(property=prop).update(active_from=today - dt.timedelta(days=CATCH_UP_DAYS))
    run_scheduler(SchedulerRun.Trigger.COMMAND, properties=[prop])
    return made
