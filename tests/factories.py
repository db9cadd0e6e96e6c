"""factory_boy factories for the domain. Defaults make a valid, open, proposed ask."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from deals.models import Ask, AskStatus, AskType, Audience, Deal, Stage
from stakeholders.models import Function, Stakeholder, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")
    function = Function.PRESALES


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if extracted is not None:
            self.profile.team = extracted
            self.profile.save(update_fields=["team"])

    @factory.post_generation
    def manager(self, create, extracted, **kwargs):
        if extracted is not None:
            self.profile.manager = extracted
            self.profile.save(update_fields=["manager"])


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    customer = factory.Sequence(lambda n: f"苏州客户{n}有限公司")
    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("1200000.00")
    stage = Stage.OPPORTUNITY
    owner = factory.SubFactory(UserFactory)


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    deal = factory.SubFactory(DealFactory)
    user = factory.SubFactory(UserFactory)
    role = "presales"


class AskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ask

    deal = factory.SubFactory(DealFactory)
    requester = factory.LazyAttribute(lambda o: o.deal.owner)
    team = factory.SubFactory(TeamFactory)
    assignee = None
    ask_type = AskType.SOLUTION
    title = factory.Sequence(lambda n: f"Ask {n}")
    deliverable = "Solution document v1"
    details = "Line takt 45 s; must work with the existing S7-1500 PLCs"
    purpose = "Technical review next Wednesday decides the shortlist"
    audience = Audience.CUSTOMER_WORKING
    status = AskStatus.PROPOSED
    proposed_due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
