"""The console on a phone (390 x 844): no sideways scroll, neither of the page nor
of a list table. The Cases list and a case page: the first case on the first
screen, the actions one tap away. The other wide lists (messages, failed jobs,
audit log, accounts) show each row as a card, like the cases, with data that
made their tables scroll sideways before; on a laptop they stay tables. Test
routing's explanation scrolls in its own box."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import Live, require_browser, shot, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402 - only once the browser is known present

from gateway import queues, runtime  # noqa: E402
from gateway.models import Contact, User  # noqa: E402
from tests.browser.test_console import new_case, work  # noqa: E402
from tests.console.case_helpers import make_case  # noqa: E402
from tests.console.conftest import create_user  # noqa: E402

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page: Any) -> None:
    """Neither the document nor a table's scroll box (``case-scroll``) is wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('.case-scroll')]"
        ".filter(box => box.scrollWidth > box.clientWidth).map(box => box.scrollWidth)"
    )
    assert wide == [], f"a table scrolls sideways: {wide} px wide"


def on_screen_width(page: Any, locator: Any) -> None:
    """``locator`` is visible and lies within the screen's width (no sideways scroll)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0
    assert box["x"] + box["width"] <= page.evaluate("window.innerWidth"), box


def ax_roles(page: Any) -> set[str]:
    """The roles in Chromium's own accessibility tree (not Playwright's guess from tags)."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    return {node.get("role", {}).get("value", "") for node in nodes}


def test_cases_list_on_a_phone(page: Any, live: Live) -> None:
    make_case(concern="abuse", place="ML-5", risk="low", phone="+22376000111")
    reference = new_case()  # the newest: high risk
    work(live)
    sign_in(page, live, "coordinator1")
    page.set_viewport_size(PHONE)
    page.goto(live.url + "/console/cases")
    no_sideways_scroll(page)
    first = page.get_by_role("table").locator("tbody tr").first
    expect(first.get_by_role("link", name=reference)).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] < PHONE["height"], box  # on the first screen
    risk = first.locator(".case-risk")
    expect(risk).to_have_text("High")
    on_screen_width(page, risk)
    # Still a table with column headers for screen readers, though shown as cards.
    assert {"table", "columnheader", "rowheader", "cell"} <= ax_roles(page)
    shot(page, "13-cases-phone")

    # The filters are folded; opened, they filter; the summary counts them.
    filters = page.locator(".case-filter-box summary")
    expect(filters).to_have_text("Filter the cases")
    expect(page.get_by_label("Risk")).to_be_hidden()
    filters.click()
    page.get_by_label("Risk").select_option("low")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator(".case-filter-box summary")).to_have_text("Filter the cases (1 filter on)")
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    no_sideways_scroll(page)


def test_case_page_on_a_phone_leads_to_the_actions(page: Any, live: Live) -> None:
    reference = new_case()
    work(live)
    sign_in(page, live, "coordinator1")
    page.set_viewport_size(PHONE)
    page.goto(live.url + f"/console/cases/{reference}")
    no_sideways_scroll(page)
    glance = page.locator(".case-glance")  # who holds the case, at the top
    expect(glance).to_contain_text("iom")
    expect(glance).to_contain_text("iom-bko-bm")
    jump = page.get_by_role("navigation", name="On this page").get_by_role(
        "link", name="Act on this case"
    )
    expect(jump).to_be_in_viewport()
    jump.click()
    expect(page.get_by_role("heading", name="Act on this case")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Accept the referral")).to_be_visible()
    shot(page, "14-case-phone-actions")


def fail_with_a_long_name() -> None:
    """A background job that fails (listed on the failed jobs page)."""
    raise RuntimeError("boom")


def rows_are_cards(page: Any, live: Live, path: str, header: str) -> Any:
    """Open the list at ``path``: on a laptop a table with visible column
    headers; on a phone no sideways scroll, each row a card titled by its row
    header, each cell under its column's name, the headers still in the
    accessibility tree. Returns the first row (the phone's)."""
    page.goto(live.url + path)
    expect(page.get_by_role("columnheader", name=header, exact=True)).to_be_visible()
    first = page.get_by_role("table").locator("tbody tr").first
    assert first.evaluate("row => getComputedStyle(row).display") == "table-row"
    page.set_viewport_size(PHONE)
    page.reload()
    no_sideways_scroll(page)
    folded = page.locator("thead").bounding_box()  # the cells say their column instead
    assert folded is not None and folded["height"] == 0, folded
    assert {"table", "columnheader", "rowheader", "cell"} <= ax_roles(page)
    first = page.get_by_role("table").locator("tbody tr").first
    title = first.locator("th[scope=row]").bounding_box()
    for cell in first.locator("td").all():
        box = cell.bounding_box()
        assert title is not None and box is not None and title["y"] < box["y"]  # title first
        label = cell.get_attribute("data-label")
        if label is not None:  # a row button's cell has none: the button names itself
            shown = cell.evaluate("td => getComputedStyle(td, '::before').content")
            assert shown == f'"{label}"', (label, shown)
    headers = {text.strip() for text in page.locator("thead th").all_text_contents()}
    labels = {cell.get_attribute("data-label") for cell in first.locator("td").all()}
    assert labels - {None} <= headers, (labels, headers)  # the names of the columns
    return first


def test_message_log_on_a_phone(page: Any, live: Live) -> None:
    reference = new_case()
    make_case(concern="abuse", place="ML-5", risk="low", phone="+22376000111")
    work(live)  # the referral SMS go out: 13 columns a message
    sign_in(page, live, "coordinator1")
    first = rows_are_cards(page, live, "/console/messages", "Channel / provider")
    on_screen_width(page, page.locator('td[data-label="Case"]', has_text=reference).first)
    on_screen_width(page, first.locator('td[data-label="Status"]'))
    on_screen_width(page, page.get_by_label("Until"))  # the filters fit too
    on_screen_width(page, page.get_by_role("button", name="Filter", exact=True))
    shot(page, "15-messages-phone")


def test_failed_jobs_on_a_phone(page: Any, live: Live) -> None:
    redis = runtime.current().redis
    job_id = "5f0c6d2e-8b1a-4c3d-9e7f-a1b2c3d4e5f6"  # RQ's ids are this long
    queues.queue("low", redis).enqueue(fail_with_a_long_name, job_id=job_id)
    work(live)
    sign_in(page, live, "coordinator1")
    first = rows_are_cards(page, live, "/console/messages/failed-jobs", "Function")
    on_screen_width(page, first.get_by_role("rowheader", name=job_id))
    on_screen_width(page, first.get_by_role("button", name=f"Retry {job_id}"))
    page.set_viewport_size({"width": 360, "height": 760})  # the narrowest phones: the id breaks
    no_sideways_scroll(page)
    shot(page, "16-failed-jobs-phone")


def test_blocked_numbers_on_the_narrowest_phone(page: Any, live: Live) -> None:
    with runtime.current().db.session() as session:
        Contact.get_or_create(session, "+22376123445").blocked = True
    sign_in(page, live, "coordinator1")
    first = rows_are_cards(page, live, "/console/messages/blocked", "Last message")
    page.set_viewport_size({"width": 360, "height": 760})  # many low-end phones
    no_sideways_scroll(page)
    on_screen_width(page, first.get_by_role("button", name=re.compile("^Unblock")))
    on_screen_width(page, page.get_by_role("button", name="Block", exact=True))


def test_audit_log_on_a_phone(page: Any, live: Live) -> None:
    reference = new_case()
    sign_in(page, live, "admin1")
    page.goto(live.url + f"/console/cases/{reference}")  # audited as case.view
    first = rows_are_cards(page, live, "/console/audit", "Client IP (hash)")
    expect(first.get_by_role("rowheader")).to_have_text("admin1")  # who, though not 1st column
    on_screen_width(page, page.get_by_role("link", name=reference).first)
    on_screen_width(page, page.get_by_label("Case reference or target"))
    shot(page, "17-audit-phone")


def test_accounts_on_a_phone(page: Any, live: Live) -> None:
    create_user("aminata.coulibaly.dnpef", "agency", agency="dnpef", language="fr")
    with runtime.current().db.session() as session:
        locked = session.scalars(select(User).where(User.username == "agency1")).one()
        locked.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    sign_in(page, live, "admin1")
    first = rows_are_cards(page, live, "/console/users", "Last sign-in")
    on_screen_width(page, first.locator('td[data-label="Last sign-in"]'))
    on_screen_width(page, page.locator('td[data-label="Status"]', has_text="locked until"))
    on_screen_width(page, page.get_by_label("Agency (agency staff only)"))  # the form fits
    shot(page, "18-accounts-phone")


def test_test_routing_on_a_phone(page: Any, live: Live) -> None:
    sign_in(page, live, "agency1")
    page.set_viewport_size(PHONE)
    page.goto(live.url + "/console/directory/route")
    page.get_by_label("Place").select_option("ML-BKO-C5")
    page.get_by_role("button", name="Explain the decision").click()
    explanation = page.locator(".dir-explain pre")
    expect(explanation).to_contain_text("iom-bko-bm")
    # The explanation's long lines scroll inside their box, not the page or the form.
    no_sideways_scroll(page)
    on_screen_width(page, page.get_by_label("Place"))
    on_screen_width(page, explanation)
    assert explanation.evaluate("pre => pre.scrollWidth > pre.clientWidth")
    shot(page, "19-test-routing-phone")
    page.set_viewport_size({"width": 1280, "height": 900})  # it widened a laptop page too
    no_sideways_scroll(page)


def test_printable_cards_on_a_phone_and_on_paper(page: Any, live: Live) -> None:
    sign_in(page, live, "trainer1")
    page.get_by_role("link", name="Printable cards").first.click()
    page.wait_for_url(live.url + "/console/cards")
    page.set_viewport_size({"width": 360, "height": 760})
    no_sideways_scroll(page)
    on_screen_width(page, page.get_by_text("ALERTE EXP URG 3 G 9 Segou gare routiere"))
    # On paper: the three cards, no menu, no sign-out button, one card a page.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    cards = page.locator(".print-card")
    expect(cards).to_have_count(3)
    for index in range(3):
        expect(cards.nth(index)).to_be_visible()
    breaks = cards.evaluate_all("all => all.map(c => getComputedStyle(c).breakAfter)")
    assert breaks == ["page", "page", "page"]
    shot(page, "20-cards-print")
