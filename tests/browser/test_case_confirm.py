"""Closing and transferring a case in a real browser: asked first, no script (CSP)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Live, require_browser, shot, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402 - only once the browser is known present

from tests.browser.test_console import new_case, referral_of, work  # noqa: E402
from tests.console.case_helpers import referrals_of  # noqa: E402

pytestmark = pytest.mark.browser


def test_close_asks_then_cancel_changes_nothing_and_confirm_closes(page: Any, live: Live) -> None:
    reference = new_case()
    work(live)
    sign_in(page, live, "coordinator1")
    page.goto(live.url + f"/console/cases/{reference}")
    page.get_by_role("button", name="Accept the referral").click()
    page.get_by_label("Outcome").select_option("reunified")
    page.get_by_role("button", name="Close the case").click()
    question = page.get_by_role("region", name=f"Close case {reference}?")
    expect(question).to_contain_text("with the outcome “Reunified with the family”")
    shot(page, "12-case-close-confirm")
    assert referral_of(reference).status == "accepted"  # asked, not done
    question.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("region", name=f"Close case {reference}?")).to_have_count(0)
    assert referral_of(reference).status == "accepted"
    page.get_by_role("button", name="Close the case").click()
    page.get_by_role("button", name="Confirm: close the case").click()
    expect(page.locator(".flash-success")).to_contain_text("The case is closed.")
    assert referral_of(reference).status == "closed"


def test_transfer_asks_with_the_agency_name(page: Any, live: Live) -> None:
    reference = new_case()
    work(live)
    sign_in(page, live, "coordinator1")
    page.goto(live.url + f"/console/cases/{reference}")
    page.get_by_label("Agency", exact=True).select_option("dnpef")
    page.get_by_role("button", name="Transfer the case").click()
    question = page.get_by_role("region", name=f"Transfer case {reference}?")
    expect(question).to_contain_text("to DNPEF -- Direction nationale")
    assert [r.agency_id for r in referrals_of(reference)] == ["iom"]
    question.get_by_role("button", name="Confirm: transfer the case").click()
    expect(page.locator(".flash-success")).to_contain_text("The case was transferred.")
    assert [r.agency_id for r in referrals_of(reference)] == ["iom", "dnpef"]
