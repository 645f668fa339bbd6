"""The console in a real browser: sign-in, the simulator loop, a case, reports, keyboard, CSP."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import Live, require_browser, shot, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402 - only once the browser is known present

from gateway import runtime  # noqa: E402
from gateway.alerts import create_alert  # noqa: E402
from gateway.models import Alert, Contact, Referral  # noqa: E402
from gateway.worker import run_worker  # noqa: E402
from tests.console.conftest import PASSWORD  # noqa: E402
from tests.test_reports import add_alert  # noqa: E402

pytestmark = pytest.mark.browser
# Language fr, separated, Commune V, landmark, 2 children, girl, 5-11, danger yes,
# nothing to add, call back yes, SMS updates yes.
ANSWERS = ["1", "1", "5", "Marché Badalabougou", "2", "fille", "2", "oui", "0", "oui", "oui"]


def new_case() -> str:
    """A high-risk alert of separated children in Commune V; its reference."""
    with runtime.current().db.session() as session:
        contact = Contact.get_or_create(session, "+22376123445")
        answers = {"concern": "separated", "place": "ML-BKO-C5", "risk": "high"}
        return create_alert(
            session, contact=contact, answers=answers, language="fr", channel="sandbox", via="sms"
        ).reference


def work(live: Live) -> None:
    """Run the queued jobs (routing, sends) now, in this process."""
    run_worker(live.app, burst=True, with_scheduler=False)


def referral_of(reference: str) -> Referral:
    """The newest referral of the alert ``reference``."""
    with runtime.current().db.session() as session:
        row = session.scalars(
            select(Referral).join(Alert).where(Alert.reference == reference)
        ).first()
        assert row is not None
        session.expunge(row)
        return row


def test_sign_in_with_the_keyboard_and_a_generic_error(page: Any, live: Live) -> None:
    page.goto(live.url + "/console/login")
    expect(page.locator("#username")).to_be_focused()  # autofocus
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    for _ in range(10):  # through the header to the form
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("coordinator1")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type("not the password at all")
    page.keyboard.press("Enter")
    error = page.get_by_role("alert")
    expect(error).to_contain_text("Sign-in failed: wrong username or password")
    shot(page, "01-login-failed")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, coordinator1")
    shot(page, "02-home")


def test_simulator_conversation_to_the_focal_points_ok(page: Any, live: Live) -> None:
    sign_in(page, live, "trainer1")
    page.get_by_role("link", name="Simulator").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Training simulator")
    box = page.get_by_label("SMS to Relais")
    for answer in ["Bonjour", *ANSWERS]:
        box.fill(answer)
        box.press("Enter")
        page.wait_for_load_state()
        box = page.get_by_label("SMS to Relais")
    thread = page.locator("#reporter-thread")
    with runtime.current().db.session() as session:
        reference = session.scalars(select(Alert.reference)).one()
    expect(thread.locator(".sim-msg").last).to_contain_text(reference)
    shot(page, "03-simulator-reported")

    work(live)  # routing, the referral SMS (sandbox) and the replies
    focal = page.locator("#focal-thread")  # simulator.js notices within seconds
    expect(focal).to_contain_text(f"OK {reference}", timeout=10_000)
    expect(page.locator("#fp")).to_have_value("iom-bko-bm")
    shot(page, "04-simulator-focal-point")

    answer = page.get_by_label("SMS from iom-bko-bm to Relais")
    answer.fill(f"OK {reference}")
    answer.press("Enter")
    expect(page.locator("#focal-thread .sim-msg-in").last).to_have_text(re.compile("OK"))
    referral = referral_of(reference)
    assert referral.status == "accepted" and referral.accepted_by == "iom-bko-bm"
    expect(page.locator("table").filter(has_text=reference)).to_contain_text("accepted")
    work(live)
    page.get_by_role("link", name="Refresh").click()
    expect(page.locator("#reporter-thread")).to_contain_text("travailleur social")
    shot(page, "05-simulator-accepted")


def test_act_on_a_case(page: Any, live: Live) -> None:
    reference = new_case()
    work(live)
    sign_in(page, live, "coordinator1")
    page.goto(live.url + "/console/cases")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    page.get_by_role("button", name="Accept the referral").click()
    note = page.locator("#a-note")
    note.fill("Famille contactée, visite demain")
    page.get_by_role("button", name="Save the note").click()
    expect(page.locator("body")).to_contain_text("Famille contactée, visite demain")
    shot(page, "06-case-note")
    assert referral_of(reference).status == "accepted"


def test_reports_show_figures_and_the_chart(page: Any, live: Live) -> None:
    today = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    add_alert(today - dt.timedelta(days=1), children=2, risk="high", referral=("iom", 600))
    add_alert(today - dt.timedelta(days=3), sex="boy", children=None, referral=("dnds", 9000))
    add_alert(today - dt.timedelta(days=2), children=4, training=True)  # never counted
    sign_in(page, live, "coordinator1")
    page.get_by_role("link", name="Reports").first.click()
    expect(page.locator("#fig-alerts")).to_have_text("2")
    expect(page.locator("#fig-children")).to_have_text("3")
    expect(page.locator("#fig-girls")).to_have_text("2")
    expect(page.locator("#fig-median")).to_have_text("1 h 20")  # (600 s + 9000 s) / 2
    chart = page.get_by_role("img", name="Alerts per day")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 100
    expect(page.locator(".rep-bar")).to_have_count(30)
    page.get_by_text("The chart's data as a table").click()
    expect(page.locator(".rep-chart-data table")).to_be_visible()
    shot(page, "07-reports")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(chart).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    shot(page, "08-reports-phone")


def test_block_and_unblock_a_number(page: Any, live: Live) -> None:
    sign_in(page, live, "coordinator1")
    page.goto(live.url + "/console/messages")
    page.get_by_role("link", name="Blocked numbers").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Blocked numbers")
    page.get_by_label("Phone number").fill("76 12 34 45")
    page.get_by_role("button", name="Block", exact=True).click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("45")
    expect(table).not_to_contain_text("76123445")  # masked
    shot(page, "08-blocked-numbers")
    with runtime.current().db.session() as session:
        blocked = Contact.find(session, "+22376123445")
        assert blocked is not None and blocked.blocked
    page.get_by_role("button", name=re.compile("^Unblock")).click()
    expect(page.locator("body")).to_contain_text("No number is blocked.")


def test_system_status_names_what_needs_attention(page: Any, live: Live) -> None:
    sign_in(page, live, "coordinator1")
    page.goto(live.url + "/console/messages")
    page.get_by_role("link", name="System status").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("System status")
    # No worker runs beside this browser test: the page says so, first.
    attention = page.locator(".status-problems")
    expect(attention).to_contain_text("No worker is running")
    expect(page.get_by_role("table").first).to_contain_text("Referrals waiting for a focal point")
    shot(page, "09-system-status")


def test_audit_log_answers_who_opened_a_case(page: Any, live: Live) -> None:
    reference = new_case()
    sign_in(page, live, "admin1")
    page.goto(live.url + f"/console/cases/{reference}")  # audited as case.view
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("Case reference or target").fill(reference)
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("admin1")
    expect(rows.first).to_contain_text("case.view")
    shot(page, "10-audit-log")
    rows.first.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_an_administrator_adds_an_account(page: Any, live: Live) -> None:
    sign_in(page, live, "admin1")
    page.get_by_role("link", name="Accounts").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    page.get_by_label("Username").fill("awa.traore")
    page.get_by_label("Role").select_option("agency")
    page.get_by_label("Agency (agency staff only)").select_option("dnds")
    page.get_by_label("Password", exact=True).fill("une phrase assez longue 42")
    page.get_by_label("Password again").fill("une phrase assez longue 43")
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ.")
    expect(page.get_by_label("Username")).to_have_value("awa.traore")  # the form is kept
    # The refusal is a 422, which Chromium logs as a failed resource: expected here.
    assert [e for e in live.console_errors if "422" not in e] == []
    live.console_errors.clear()
    page.get_by_label("Password", exact=True).fill("une phrase assez longue 42")
    page.get_by_label("Password again").fill("une phrase assez longue 42")
    page.get_by_role("button", name="Add the account").click()
    expect(page.get_by_role("table")).to_contain_text("awa.traore")
    shot(page, "11-accounts")
    page.get_by_role("link", name="awa.traore").click()
    page.get_by_role("button", name="Disable the account").click()
    expect(page.locator("body")).to_contain_text("Disabled: this account cannot sign in.")
