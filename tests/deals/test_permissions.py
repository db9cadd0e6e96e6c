"""Who may see what: selectors, and URL tampering answered with 404."""

import pytest
from django.urls import reverse

from deals.selectors import asks_visible_to, deals_visible_to
from stakeholders.models import Function
from tests.factories import AskFactory, StakeholderFactory, TeamFactory, UserFactory


@pytest.mark.django_db
class TestDealVisibility:
    def test_the_owner_sees_their_deal_and_another_rep_does_not(self, deal, rep, other_rep):
        assert deal in deals_visible_to(rep)
        assert deal not in deals_visible_to(other_rep)

    def test_managers_see_their_peoples_deals_at_any_depth(self, deal, rep, manager):
        vp = UserFactory(username="vp")
        manager.profile.manager = vp
        manager.profile.save()
        assert deal in deals_visible_to(manager)
        assert deal in deals_visible_to(vp)
        peer_manager = UserFactory(username="peer_director")
        assert deal not in deals_visible_to(peer_manager)

    def test_a_stakeholder_sees_the_deal(self, deal, other_rep):
        StakeholderFactory(deal=deal, user=other_rep, role="sales")
        assert deal in deals_visible_to(other_rep)

    def test_an_assignee_sees_the_deal_of_their_ask(self, deal, presales):
        AskFactory(deal=deal, assignee=presales, team=presales.profile.team)
        assert deal in deals_visible_to(presales)

    def test_a_reporting_loop_in_the_data_does_not_hang_the_query(self, deal, rep, manager):
        # The profile clean() refuses loops; rows written around it must still terminate.
        from stakeholders.models import Profile

        Profile.objects.filter(user=manager).update(manager=rep)
        assert deal in deals_visible_to(manager)


@pytest.mark.django_db
class TestAskVisibility:
    def test_team_members_see_their_teams_queue_and_nobody_elses(
        self, deal, presales, presales_team
    ):
        legal = TeamFactory(name="法务部", function=Function.LEGAL)
        lawyer = UserFactory(team=legal)
        queued = AskFactory(deal=deal, team=presales_team, assignee=None)
        teammate = UserFactory(team=presales_team)
        assert queued in asks_visible_to(presales)
        assert queued in asks_visible_to(teammate)
        assert queued not in asks_visible_to(lawyer)

    def test_a_rep_never_sees_another_reps_asks(self, deal, other_rep, presales_team):
        ask = AskFactory(deal=deal, team=presales_team)
        assert ask not in asks_visible_to(other_rep)


@pytest.mark.django_db
class TestUrlTampering:
    def test_another_rep_gets_404_on_a_deal_and_its_ask(self, client, deal, other_rep):
        ask = AskFactory(deal=deal)
        client.force_login(other_rep)
        assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 404
        assert client.get(reverse("ask_detail", args=[ask.pk])).status_code == 404

    def test_a_missing_deal_looks_exactly_like_a_forbidden_one(self, client, deal, other_rep):
        client.force_login(other_rep)
        forbidden = client.get(reverse("deal_detail", args=[deal.pk]))
        missing = client.get(reverse("deal_detail", args=[deal.pk + 1000]))
        assert forbidden.status_code == missing.status_code == 404

    def test_the_owner_and_the_manager_get_the_pages(self, client, deal, rep, manager):
        ask = AskFactory(deal=deal)
        for person in (rep, manager):
            client.force_login(person)
            assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 200
            assert client.get(reverse("ask_detail", args=[ask.pk])).status_code == 200

    def test_signed_out_visitors_are_sent_to_sign_in(self, client, deal):
        for url in (reverse("home"), reverse("deal_detail", args=[deal.pk]), "/asks/1/"):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
class TestWhoSeesWhatAfterReview:
    def test_a_team_lead_opens_asks_assigned_to_their_people_on_any_deal(
        self, client, deal, presales, presales_team
    ):
        lead = UserFactory(username="presales_lead", team=presales_team)
        presales.profile.manager = lead
        presales.profile.save()
        ask = AskFactory(deal=deal, assignee=presales, team=presales_team)
        client.force_login(lead)
        assert client.get(reverse("ask_detail", args=[ask.pk])).status_code == 200

    def test_a_team_member_sees_the_deal_behind_their_teams_queue(
        self, client, deal, presales_team
    ):
        AskFactory(deal=deal, team=presales_team, assignee=None)
        teammate = UserFactory(team=presales_team)
        client.force_login(teammate)
        assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 200

    def test_seeing_a_deal_through_the_team_queue_does_not_allow_changing_it(
        self, client, deal, presales_team
    ):
        AskFactory(deal=deal, team=presales_team, assignee=None)
        teammate = UserFactory(team=presales_team)
        client.force_login(teammate)
        assert client.get(reverse("deal_edit", args=[deal.pk])).status_code == 404
        assert client.get(reverse("ask_create", args=[deal.pk])).status_code == 404

    def test_another_departments_member_still_sees_nothing(self, client, deal, presales_team):
        AskFactory(deal=deal, team=presales_team, assignee=None)
        lawyer = UserFactory(team=TeamFactory(name="法务部", function=Function.LEGAL))
        client.force_login(lawyer)
        assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 404
