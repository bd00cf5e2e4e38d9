"""The weekly report of a site: last week's numbers, top questions and new content gaps, kept
once, as CSV, and emailed to the site's subscriber through a real (loopback) SMTP server."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import uuid

import pytest
from aiosmtpd.controller import Controller

from sitespeak.analytics import rollups
from sitespeak.jobs.context import JobContext
from sitespeak.reports import subscriptions
from sitespeak.reports import weekly as reports
from sitespeak.reports.jobs import WeekArgs, weekly_reports
from tests.analytics.conftest import add_turn
from tests.support.processes import free_port

WEEK = dt.date(2026, 11, 16)  # a Monday
DAY = dt.timedelta(days=1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


@pytest.fixture()
def busy_site(alice, make_site):
    """A site with last week's turns, and a gap that was already there the week before."""
    site = make_site(alice.tenant)
    add_turn(site, at(WEEK - 3 * DAY), "Do you deliver to Mars?", covered=False)
    for day in range(3):
        add_turn(site, at(WEEK + day * DAY), "When are you open on Sunday?")
    add_turn(site, at(WEEK + 4 * DAY), "Where do you park?")
    add_turn(site, at(WEEK + 5 * DAY), "Do you deliver to Mars?", covered=False)
    add_turn(site, at(WEEK + 6 * DAY), "Do you sell gift cards?", covered=False)
    add_turn(site, at(WEEK + 7 * DAY), "Not last week: the Monday after", covered=False)
    # One pass rebuilds every dirty hour (it takes them in batches itself). Looping until it
    # returns 0 never ended once any recent voice turn was in the database: every pass marks
    # the hours of recent turns dirty again.
    rollups.run_pass()
    return site


def test_a_weekly_report_holds_last_weeks_numbers_top_questions_and_new_gaps(alice, busy_site):
    report = reports.build(alice.tenant.id, busy_site.id, WEEK)
    assert report["week_start"] == "2026-11-16"
    assert report["numbers"]["turns"] == 6
    assert report["numbers"]["answered"] == 4 and report["numbers"]["declined"] == 2
    assert report["top_questions"][0] == ["when are you open on sunday", 3]
    # Mars was already a gap the week before: only the gift cards are new.
    assert [text for text, _ in report["new_gaps"]] == ["do you sell gift cards"]


def test_last_week_is_the_whole_week_before_the_current_one():
    assert reports.last_week(at(WEEK + 7 * DAY, 0)) == WEEK  # the Monday after
    assert reports.last_week(at(WEEK + 13 * DAY, 23)) == WEEK  # the Sunday after


def test_a_report_is_kept_once_and_downloads_as_csv(alice, busy_site):
    report = reports.build(alice.tenant.id, busy_site.id, WEEK)
    assert reports.store(alice.tenant.id, busy_site.id, report) is not None
    assert reports.store(alice.tenant.id, busy_site.id, report) is None
    rows = list(csv.reader(io.StringIO(reports.as_csv("Shop", report))))
    assert rows[0] == ["section", "item", "value"]
    assert ["numbers", "Thumbs down", "0"] in rows
    assert ["top question", "when are you open on sunday", "3"] in rows
    assert ["new content gap", "do you sell gift cards", "1"] in rows


def test_charlie_sees_none_of_alices_reports(alice, charlie, busy_site):
    reports.store(alice.tenant.id, busy_site.id, reports.build(alice.tenant.id, busy_site.id, WEEK))
    assert reports.reports_of(charlie.tenant.id, busy_site.id) == []
    assert reports.report(alice.tenant.id, busy_site.id, WEEK) is not None


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's API
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def test_the_weekly_job_emails_each_report_once_to_the_sites_subscriber(
    alice, busy_site, settings, smtp_server
):
    port, inbox = smtp_server
    subscriptions.subscribe(alice.tenant.id, busy_site.id, "owner@shop.example")
    smtp = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    ctx = JobContext(
        uuid.uuid4(), None, "analytics", 1, settings.model_copy(update=smtp), print, None
    )
    weekly_reports(ctx, WeekArgs(week_start=WEEK))
    mine = [m for m in inbox.messages if m["To"] == "owner@shop.example"]
    assert len(mine) == 1 and "week of 2026-11-16" in mine[0]["Subject"]
    parts = {p.get_content_type(): p for p in mine[0].walk()}
    assert "when are you open on sunday" in parts["text/plain"].get_payload(decode=True).decode()
    assert b"new content gap" in parts["text/csv"].get_payload(decode=True)
    assert reports.report(alice.tenant.id, busy_site.id, WEEK)["emailed_to"] == "owner@shop.example"
    weekly_reports(ctx, WeekArgs(week_start=WEEK))  # again: kept and sent already
    assert len([m for m in inbox.messages if m["To"] == "owner@shop.example"]) == 1


def test_a_subscription_needs_an_email_address(alice, busy_site):
    with pytest.raises(Exception, match="not an email address"):
        subscriptions.subscribe(alice.tenant.id, busy_site.id, "owner at shop")
