"""What the browser journeys share: signing in, and teams that work around the clock."""

import datetime as dt

from playwright.sync_api import expect

PASSWORD = "correct-horse-battery"  # every factory-made person's (tests/factories.py)

# A team that works every hour of every day, so a journey does not depend on when it
# runs: "overdue by two working days" is simply two days ago.
EVERYDAY = {
    "workday_start": dt.time(0, 0),
    "workday_end": dt.time(23, 59, 59),
    "working_weekdays": "1234567",
    "statutory_calendar": False,
}


def sign_in(page, live_server, username, *, english=True):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    if english and page.get_by_role("button", name="English").count():
        page.get_by_role("button", name="English").click()
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button.button-primary").click()
    expect(page.locator("h1")).to_have_text("My work" if english else "我的工作")
