"""Signing in and out, and the language a page is written in."""

import pytest
from django.urls import reverse

from stakeholders.models import Profile


@pytest.mark.django_db
class TestSignIn:
    def test_the_sign_in_page_is_public_and_in_chinese_by_default(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert "登录" in response.content.decode()
        assert response["Content-Language"] == "zh-hans"

    def test_a_wrong_password_is_refused_with_a_message(self, client, rep):
        response = client.post(
            reverse("login"),
            {"username": rep.username, "password": "wrong"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 200
        assert "enter a correct username and password" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_signing_in_lands_on_my_work(self, client, rep):
        response = client.post(
            reverse("login"), {"username": rep.username, "password": "correct-horse-battery"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("home")

    def test_signing_out_takes_a_post_and_ends_the_session(self, client, rep):
        client.force_login(rep)
        assert client.get(reverse("logout")).status_code == 405
        client.post(reverse("logout"))
        assert client.get(reverse("home")).status_code == 302

    def test_posts_without_a_csrf_token_are_refused(self, rep):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        response = strict.post(
            reverse("login"), {"username": rep.username, "password": "correct-horse-battery"}
        )
        assert response.status_code == 403


@pytest.mark.django_db
class TestLanguage:
    def test_the_browser_language_is_used_when_nothing_is_saved(self, client, rep):
        client.force_login(rep)
        page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content
        assert "My work" in page.decode()

    def test_chinese_is_the_default(self, client, rep):
        client.force_login(rep)
        page = client.get(reverse("home")).content.decode()
        assert "我的工作" in page

    def test_a_saved_language_beats_the_browser(self, client, rep):
        Profile.objects.filter(user=rep).update(language="zh-hans")
        client.force_login(rep)
        page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "我的工作" in page

    def test_the_header_switch_saves_the_choice_and_returns_to_the_page(self, client, rep, deal):
        client.force_login(rep)
        target = reverse("deal_detail", args=[deal.pk])
        response = client.post(reverse("set_language"), {"language": "en", "next": target})
        assert response.status_code == 302
        assert response["Location"] == target
        assert Profile.objects.get(user=rep).language == "en"
        page = client.get(target, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "Deal team" in page

    def test_the_switch_works_before_signing_in(self, client):
        client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
        assert "Sign in to DealDesk" in client.get(reverse("login")).content.decode()

    def test_the_switch_refuses_unknown_languages_and_foreign_redirects(self, client, rep):
        client.force_login(rep)
        bad = client.post(reverse("set_language"), {"language": "fr"})
        assert bad.status_code == 400
        assert Profile.objects.get(user=rep).language == ""
        away = client.post(
            reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
        )
        assert away["Location"] == "/"

    def test_a_users_time_zone_is_applied_to_times(self, client, rep, deal, presales):
        import datetime as dt

        from tests.factories import AskFactory

        due = dt.datetime(2031, 3, 2, 6, 30, tzinfo=dt.UTC)
        ask = AskFactory(deal=deal, proposed_due_at=due)
        client.force_login(rep)
        assert "03-02 14:30" in client.get(reverse("ask_detail", args=[ask.pk])).content.decode()
        Profile.objects.filter(user=rep).update(time_zone="Europe/Berlin")
        assert "03-02 07:30" in client.get(reverse("ask_detail", args=[ask.pk])).content.decode()


@pytest.mark.django_db
def test_every_page_sends_a_strict_content_security_policy(client, rep):
    client.force_login(rep)
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
