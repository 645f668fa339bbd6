"""The Cases list and a case page on a phone (390 x 844): no sideways scroll, the
first case on the first screen, the actions one tap away."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Live, require_browser, shot, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402 - only once the browser is known present

from tests.browser.test_console import new_case, work  # noqa: E402
from tests.console.case_helpers import make_case  # noqa: E402

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page: Any) -> None:
    """The document is no wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


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
