"""Load a demo company: ``python manage.py seed_demo``.

苏州澜拓智能装备股份有限公司 makes PLCs, servo drives and MES software in Suzhou and
retrofits production lines for automakers, battery makers, shipyards, hospitals and
grid companies. The command creates its eight departments, 27 people in a reporting
chain, 40 deals and about 200 asks in every state, each with a timeline that fits it.

Idempotent: everything is keyed by natural keys (usernames, team names, (customer, title)
for deals, (deal, title) for asks) and an ask that already exists is left alone,
timeline included. The whole plan is drawn from a fixed random seed before anything is
written, so a second run produces exactly the same rows.

Demo logins (``rep``, ``presales``, ``finance``, ``legal``, ``production``, ``manager``
and an ``admin`` superuser) get ``settings.DEMO_PASSWORD`` only when DEBUG is on; with
DEBUG off every seeded person gets an unusable password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

# --- writing it -----------------------------------------------------------------------
from deals import escalation
from deals.demo.company import (
    ADMIN_EMAIL,
    ADMIN_USERNAME,
    COMPANY,
    DEMO_LOGINS,
    EMAIL_DOMAIN,
    PEOPLE,
    SEED,
    TEAMS,
    S,
)
from deals.demo.plan import (
    PEOPLE_BY_USERNAME,
    AskPlan,
    DealPlan,
    plan_company,
)
from deals.models import (
    OPEN_STAGES,
    OVERDUE_STATUSES,
    Ask,
    AskEvent,
    AskStatus,
    Deal,
    DealEvent,
    DealEventKind,
    EventKind,
    Milestone,
    Thank,
)
from stakeholders.models import Profile, Stakeholder, Team


class Command(BaseCommand):
    help = (
        "Load a demo company (Suzhou industrial automation maker): teams, people, deals and "
        "asks in every state. Safe to run again. Demo logins only when DEBUG is on."
    )

    def handle(self, *args, **options):
        debug = bool(settings.DEBUG)
        now = timezone.now()
        plans = plan_company(random.Random(SEED), now)
        before = _counts()
        with transaction.atomic():
            teams = seed_teams()
            users = seed_people(teams, debug)
            seed_admin(debug)
            for plan in plans:
                seed_deal(plan, users, teams)
            seed_updates(now)
        self._summary(before, _counts(), debug, now)

    def _summary(self, before: Counter, after: Counter, debug: bool, now) -> None:
        out = self.stdout
        out.write(f"Demo company: {COMPANY}")
        for label, _ in COUNTED:
            new = after[label] - before[label]
            out.write(f"  {label:<13}{after[label]:>6}" + (f"  (+{new})" if new else ""))
        by_status = Counter(Ask.objects.values_list("status", flat=True))
        out.write("  asks by status: " + ", ".join(f"{s} {by_status[s]}" for s in S.values))
        overdue = Ask.objects.filter(status__in=OVERDUE_STATUSES, agreed_due_at__lt=now).count()
        out.write(f"  overdue asks: {overdue}")
        if not debug:
            self.stderr.write(
                self.style.WARNING(
                    "DEBUG is off: no demo logins were created; every seeded person has an "
                    "unusable password."
                )
            )
            return
        out.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username in (*DEMO_LOGINS, ADMIN_USERNAME):
            person = PEOPLE_BY_USERNAME.get(username)
            who = f"{person.name}, {person.job_title}, {person.team}" if person else "superuser"
            out.write(f"  {username:<12}{who}")


def _counts() -> Counter:
    return Counter({label: model.objects.count() for label, model in COUNTED})


def seed_teams() -> dict[str, Team]:
    teams = {}
    for name, function, _lead, response, turnaround in TEAMS:
        teams[name], _ = Team.objects.update_or_create(
            name=name,
            defaults={
                "function": function,
                "response_hours": response,
                "turnaround_hours": turnaround,
            },
        )
    return teams


def seed_people(teams: dict[str, Team], debug: bool) -> dict:
    User = get_user_model()
    users = {}
    for person in PEOPLE:
        user, _ = User.objects.get_or_create(username=person.username)
        user.first_name, user.last_name = person.name, ""
        user.email = f"{person.email}@{EMAIL_DOMAIN}"
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        if debug and person.username in DEMO_LOGINS:
            user.set_password(settings.DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        users[person.username] = user
    for person in PEOPLE:
        Profile.objects.update_or_create(
            user=users[person.username],
            defaults={
                "team": teams[person.team],
                "manager": users[person.manager] if person.manager else None,
                "job_title": person.job_title,
            },
        )
    for name, _function, lead, *_ in TEAMS:
        Team.objects.filter(pk=teams[name].pk).update(lead=users[lead])
    return users


def seed_admin(debug: bool) -> None:
    """A superuser for the admin site, only on a development machine."""
    User = get_user_model()
    if not debug:
        # Lock the one an earlier DEBUG run made; leave any other "admin" alone.
        for user in User.objects.filter(username=ADMIN_USERNAME, email=ADMIN_EMAIL):
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return
    user, _ = User.objects.get_or_create(username=ADMIN_USERNAME)
    user.first_name, user.last_name, user.email = "系统管理员", "", ADMIN_EMAIL
    user.is_active, user.is_staff, user.is_superuser = True, True, True
    user.set_password(settings.DEMO_PASSWORD)
    user.save()


# Weekly three-part updates (seed 003): last week's for two open deals in three, this
# week's for one in three, so the manager's inbox, the missing flags and the digest all
# have something to show.
UPDATE_TEXTS = [
    (
        "客户技术部已确认方案方向，采购流程预计下月启动。",
        "本周完成报价复核，周五前约客户总工做方案汇报。",
        "",
    ),
    (
        "客户高层对交期有顾虑，竞争对手报价低约 8%。",
        "准备分期交付方案，下周二前给出样板线参观安排。",
        "请协调生产计划部给出可承诺的交期。",
    ),
    (
        "招标文件已发布，技术部分评分占 60%。",
        "周三前完成标书技术部分，周四内部评审。",
        "请批准售前资源本周优先支持这份标书。",
    ),
]


def seed_updates(now) -> None:
    from deals.manager_models import DealUpdate
    from deals.updates import current_week

    deals = (
        Deal.objects.filter(stage__in=OPEN_STAGES, owner__profile__manager__isnull=False)
        .select_related("owner__profile")
        .order_by("id")
    )
    for i, deal in enumerate(deals):
        this_week = current_week(deal.owner, now)
        weeks = []
        if i % 3 != 2:
            weeks.append(this_week - dt.timedelta(days=7))
        if i % 3 == 0:
            weeks.append(this_week)
        for week in weeks:
            facts, plan, help_needed = UPDATE_TEXTS[(i + i // 3 + (week == this_week)) % 3]
            DealUpdate.objects.get_or_create(
                deal=deal,
                week=week,
                defaults={
                    "author": deal.owner,
                    "facts": facts,
                    "plan": plan,
                    "help_needed": help_needed,
                    "created_at": min(
                        now,
                        timezone.make_aware(
                            dt.datetime.combine(week + dt.timedelta(days=4), dt.time(17))
                        ),
                    ),
                },
            )


def seed_deal(plan: DealPlan, users: dict, teams: dict[str, Team]) -> None:
    row = plan.row
    deal, created = Deal.objects.get_or_create(
        customer=row.customer,
        title=row.title,
        defaults={
            "owner": users[row.owner],
            "amount": Decimal(row.amount),
            "stage": row.stage,
            "expected_close_date": timezone.localdate() + dt.timedelta(days=row.close_in_days),
            "why_it_matters": row.why,
            "reference_customer": "R" in row.flags,
            "follow_on_phases": "F" in row.flags,
            "demonstration_value": "D" in row.flags,
            "created_at": plan.created_at,
        },
    )
    if created:
        DealEvent.objects.create(
            deal=deal,
            actor=users[row.owner],
            kind=DealEventKind.CREATED,
            created_at=plan.created_at,
        )
    for username, role in plan.stakeholders:
        Stakeholder.objects.get_or_create(deal=deal, user=users[username], role=role)
    for ask_plan in plan.asks:
        seed_ask(deal, ask_plan, users, teams)


def seed_ask(deal: Deal, plan: AskPlan, users: dict, teams: dict[str, Team]) -> None:
    requester = users[plan.requester]
    assignee = users[plan.assignee] if plan.assignee else None
    ask, created = Ask.objects.get_or_create(
        deal=deal,
        title=plan.title,
        defaults={
            "requester": requester,
            "team": teams[plan.team],
            "assignee": assignee,
            "ask_type": plan.ask_type,
            **plan.fields,
        },
    )
    if not created:
        return  # its timeline is already there, and timelines are append-only
    # Put it on its escalation ladder, as the services do for a live ask; overdue ones
    # fire on the first sweep.
    ask.save(update_fields=escalation.plan(ask, timezone.now()))
    escalation.save_timer(ask)
    Milestone.objects.bulk_create(Milestone(ask=ask, **m) for m in plan.milestones)
    actors = {"requester": requester, "assignee": assignee}
    AskEvent.objects.bulk_create(
        AskEvent(
            ask=ask,
            actor=actors[e.actor],
            kind=e.kind,
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
            data=e.data,
            created_at=e.at,
        )
        for e in plan.events
    )
    seed_thanks(ask, requester, assignee)


THANK_NOTES = [
    "方案写得很扎实，客户技术评审一次通过，谢谢！",
    "周末加班赶出来的报价帮我们保住了价格，感谢！",
    "条款谈下来了，客户法务没有再提异议，多谢支持。",
    "排产协调得及时，客户对交期很满意。",
    "演示效果很好，客户高层当场表示认可，辛苦了！",
]


def seed_thanks(ask: Ask, requester, assignee) -> None:
    """Most finished asks end with a thank-you. Chosen by a hash of the title rather than
    the random generator, so adding thanks leaves the rest of the plan unchanged."""
    if ask.status != AskStatus.DONE or assignee is None or assignee == requester:
        return
    digest = int(hashlib.sha256(ask.title.encode()).hexdigest(), 16)
    if digest % 5 >= 3:
        return
    at = min(ask.closed_at + dt.timedelta(hours=1), timezone.now() - dt.timedelta(minutes=5))
    note = THANK_NOTES[digest % len(THANK_NOTES)]
    Thank.objects.create(ask=ask, thanked_by=requester, thanked=assignee, note=note, created_at=at)
    AskEvent.objects.create(
        ask=ask, actor=requester, kind=EventKind.THANKED, note=note, created_at=at
    )


COUNTED = [
    ("people", get_user_model()),
    ("teams", Team),
    ("deals", Deal),
    ("stakeholders", Stakeholder),
    ("asks", Ask),
    ("events", AskEvent),
    ("milestones", Milestone),
    ("thanks", Thank),
    ("deal events", DealEvent),
]
