"""Fixtures for the deals tests."""

import pytest

from stakeholders.models import Role, Stakeholder
from tests.factories import DealFactory, UserFactory


@pytest.fixture
def org(presales_team, sales_team, rep, manager, presales):
    """A rep asking presales on a deal with a manager on its team: the presales lead
    manages the assignee, ``manager`` the rep, and a VP sits on the deal team as its
    manager. Nobody has an email address unless a test gives them one."""
    lead = UserFactory(username="presales_lead", first_name="周涛", team=presales_team)
    presales_team.lead = lead
    presales_team.save()
    presales.profile.manager = lead
    presales.profile.save()
    vp = UserFactory(username="vp_sales", first_name="孙总", team=sales_team)
    deal = DealFactory(owner=rep, customer="国网江苏电力", title="配网自动化改造")
    Stakeholder.objects.create(deal=deal, user=vp, role=Role.MANAGER)
    return {
        "rep": rep,
        "rep_manager": manager,
        "presales": presales,
        "lead": lead,
        "vp": vp,
        "deal": deal,
        "team": presales_team,
        "sales_team": sales_team,
    }
