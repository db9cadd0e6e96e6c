"""Settings come from the environment; defaults run on a laptop; bad values stop start-up.

Settings are read once at import, so each case runs in a fresh interpreter.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV_NAMES = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "TIME_ZONE",
    "CONN_MAX_AGE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
]

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": db["ENGINE"],
    "db_name": str(db["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "transport": getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None),
    "cache": settings.CACHES["default"]["BACKEND"],
    "mailer": settings.MAILERS["default"]["BACKEND"],
    "tz": settings.TIME_ZONE,
    "lang": settings.LANGUAGE_CODE,
    "languages": [code for code, _ in settings.LANGUAGES],
    "serializer": settings.CELERY_TASK_SERIALIZER,
    "accept": settings.CELERY_ACCEPT_CONTENT,
    "time_limit": settings.CELERY_TASK_TIME_LIMIT,
    "beat": sorted(settings.CELERY_BEAT_SCHEDULE),
}))
"""


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    clean["DJANGO_SETTINGS_MODULE"] = "dealdesk.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def probe(**env: str) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_defaults_need_no_server():
    values = probe()
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(ROOT / "var" / "dealdesk.sqlite3")
    assert values["broker"] == "filesystem://"
    transport = values["transport"]
    assert transport["data_folder_in"] == transport["data_folder_out"]
    assert transport["data_folder_in"].startswith(str(ROOT / "var"))
    assert Path(transport["data_folder_in"]).is_dir()
    assert transport["store_processed"] is False
    assert values["cache"].endswith("LocMemCache")
    assert values["mailer"].endswith("console.EmailBackend")
    assert values["tz"] == "Asia/Shanghai"
    assert values["lang"] == "zh-hans"
    assert values["languages"] == ["zh-hans", "en"]


def test_celery_speaks_only_json_and_kills_runaway_tasks():
    values = probe()
    assert values["serializer"] == "json"
    assert values["accept"] == ["json"]
    assert values["time_limit"] > 0
    assert "clear-expired-sessions" in values["beat"]


def test_production_urls_switch_to_postgres_and_redis():
    values = probe(
        DATABASE_URL="postgres://dd:pw@db.internal:5432/dealdesk",
        CELERY_BROKER_URL="redis://cache.internal:6379/1",
        REDIS_URL="redis://cache.internal:6379/2",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.internal:587",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["broker"] == "redis://cache.internal:6379/1"
    assert values["transport"] is None
    assert values["cache"].endswith("RedisCache")
    assert values["mailer"].endswith("smtp.EmailBackend")


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DEBUG": "false"}, "SECRET_KEY must be set"),
        ({"DEBUG": "maybe"}, "is not a boolean"),
        ({"CONN_MAX_AGE": "soon", "DATABASE_URL": "postgres://x@y/z"}, "not a whole number"),
        ({"CELERY_BROKER_URL": "amqp://guest@localhost//"}, "CELERY_BROKER_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"TIME_ZONE": "Mars/Olympus"}, "not an IANA time zone"),
        ({"DATABASE_URL": "nosuchdb://x/y"}, "DATABASE_URL"),
    ],
)
def test_malformed_values_stop_start_up_loudly(env, complaint):
    result = run(PROBE, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_check_deploy_is_clean_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ENV_NAMES},
            "DEBUG": "false",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0987654321",
            "ALLOWED_HOSTS": "dealdesk.example.com",
            "EMAIL_URL": "smtp+tls://dealdesk:pw@smtp.example.com:587",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
