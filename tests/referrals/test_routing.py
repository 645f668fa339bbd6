"""Routing: hierarchical places, time windows, rule order, people, fallback, explain."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from gateway.referrals.directory import Agency, Directory, FocalPoint, TimeWindow, load_directory
from gateway.referrals.places import PlaceTree, load_places
from gateway.referrals.routing import AlertFacts, Decision, explain, in_window, route

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "bamako-directory.yaml"
TUESDAY_AFTERNOON = datetime(2025, 1, 14, 14, 5, tzinfo=UTC)
MONDAY = datetime(2025, 1, 13, tzinfo=UTC)


@pytest.fixture(scope="module")
def places() -> PlaceTree:
    return load_places()


@pytest.fixture(scope="module")
def demo(places: PlaceTree) -> Directory:
    return load_directory(EXAMPLE, places)


def at(day: datetime, hhmm: str, plus_days: int = 0) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return day + timedelta(days=plus_days, hours=hours, minutes=minutes)


def go(
    demo: Directory, places: PlaceTree, when: datetime = TUESDAY_AFTERNOON, **facts: str
) -> Decision:
    defaults = {"concern": "other", "place": "ML-BKO-C5", "risk": "low"}
    return route(demo, places, AlertFacts(**{**defaults, **facts}), when)


def ids(decision: Decision) -> list[str]:
    return [person.focal_point_id for person in decision.recipients]


def test_a_bamako_rule_matches_communes_and_neighbourhoods_not_regions(
    demo: Directory, places: PlaceTree
) -> None:
    for place in ("ML-BKO", "ML-BKO-C5", "ML-BKO-C5-BADALABOUGOU", "ML-BKO-C1-BANCONI"):
        assert go(demo, places, place=place, risk="high").rule_id == "high-risk-bamako", place
    elsewhere = go(demo, places, place="ML-3", risk="high")
    assert elsewhere.rule_id is None
    assert elsewhere.agency_id == "dnds" and elsewhere.reason == "no rule matched: fallback agency"
    [bamako] = [c for c in elsewhere.not_matched if c.rule_id == "high-risk-bamako"]
    assert bamako.reasons == ("place ML-3 is not within [ML-BKO]",)


def test_unknown_place_matches_no_place_rule(demo: Directory, places: PlaceTree) -> None:
    decision = go(demo, places, place="ML-BKO-C9", risk="high")
    assert decision.rule_id is None
    [bamako] = [c for c in decision.not_matched if c.rule_id == "high-risk-bamako"]
    assert bamako.reasons == ("place ML-BKO-C9 (unknown place) is not within [ML-BKO]",)
    assert ids(decision)[0] == "dnds-permanence"  # only the focal point without areas covers it


@pytest.mark.parametrize(
    ("hhmm", "plus_days", "inside"),
    [
        ("18:59", 0, False),  # Monday before the window opens
        ("19:00", 0, True),  # Monday, opening minute included
        ("23:00", 0, True),  # Monday night
        ("06:59", 1, True),  # Tuesday morning, Monday's window still open
        ("07:00", 1, False),  # Tuesday 07:00, closing minute excluded
        ("23:00", 1, False),  # Tuesday night: the window opens on Mondays only
        ("06:59", 0, False),  # Monday morning belongs to Sunday's window
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_opens(
    hhmm: str, plus_days: int, inside: bool
) -> None:
    window = TimeWindow(("mon",), "19:00", "07:00")
    assert in_window(window, at(MONDAY, hhmm, plus_days)) is inside


def test_a_day_window_and_a_week_boundary() -> None:
    office = TimeWindow(("mon", "tue", "wed", "thu", "fri"), "08:00", "17:00")
    assert in_window(office, at(MONDAY, "08:00", 4))  # Friday
    assert not in_window(office, at(MONDAY, "16:00", 5))  # Saturday
    assert not in_window(office, at(MONDAY, "17:00"))
    weekend_night = TimeWindow(("sun",), "22:00", "06:00")
    assert in_window(weekend_night, at(MONDAY, "05:59"))  # Monday, from Sunday's window
    assert not in_window(weekend_night, at(MONDAY, "05:59", 1))
    until_midnight = TimeWindow(("mon",), "20:00", "24:00")
    assert in_window(until_midnight, at(MONDAY, "23:59"))
    assert not in_window(until_midnight, at(MONDAY, "00:00", 1))


def test_night_street_rule_uses_the_directory_time_zone(demo: Directory, places: PlaceTree) -> None:
    night = go(demo, places, concern="street", when=at(MONDAY, "23:00"))
    assert night.rule_id == "night-street" and night.agency_id == "samusocial"
    assert go(demo, places, concern="street", when=at(MONDAY, "06:59", 1)).rule_id == "night-street"
    morning = go(demo, places, concern="street", when=at(MONDAY, "07:00", 1))
    assert morning.rule_id is None
    assert morning.not_matched[0].reasons == ("time 07:00 Tue is outside mon-sun 19:00-07:00",)
    # 08:30 in UTC+2 is 06:30 in Bamako (UTC+0): still night.
    plus_two = datetime(2025, 1, 14, 8, 30, tzinfo=timezone(timedelta(hours=2)))
    assert go(demo, places, concern="street", when=plus_two).rule_id == "night-street"
    with pytest.raises(ValueError):
        go(demo, places, when=datetime(2025, 1, 14, 12, 0))


def test_first_matching_rule_wins_and_earlier_rules_say_why_not(
    demo: Directory, places: PlaceTree
) -> None:
    decision = go(demo, places, concern="separated", risk="high")
    assert decision.rule_id == "separated-iom" and decision.agency_id == "iom"
    assert decision.reason == "rule separated-iom matched"
    assert [(c.rule_id, c.reasons) for c in decision.not_matched] == [
        (
            "night-street",
            (
                "concern separated is not in [street]",
                "time 14:05 Tue is outside mon-sun 19:00-07:00",
            ),
        ),
        ("dnpef-abuse", ("concern separated is not in [abuse, exploitation]",)),
        ("separated-dnds-north", ("place ML-BKO-C5 is not within [ML-BKO-C1, ML-BKO-C2]",)),
    ]
    # Separated in Commune I is caught by the earlier DNDS rule.
    assert go(demo, places, concern="separated", place="ML-BKO-C1-BANCONI").agency_id == "dnds"
    # Reversing the rules changes the winner: high-risk-bamako now comes first.
    reversed_rules = replace(demo, rules=demo.rules[::-1])
    assert (
        go(reversed_rules, places, concern="separated", risk="high").rule_id == "high-risk-bamako"
    )


def test_other_conditions_explain_themselves(demo: Directory, places: PlaceTree) -> None:
    rule = replace(demo.rules[1], sex=("girl",), age_bands=("12-14", "15-17"), risk=("high",))
    directory = replace(demo, rules=(rule,))
    decision = go(directory, places, concern="abuse", sex="boy", age_band="5-11", risk="low")
    assert decision.not_matched[0].reasons == (
        "risk low is not in [high]",
        "sex boy is not in [girl]",
        "age band 5-11 is not in [12-14, 15-17]",
    )
    assert go(directory, places, concern="abuse", sex="girl", age_band="15-17", risk="high").rule_id


@pytest.mark.parametrize(
    ("language", "place", "expected"),
    [
        ("fr", "ML-BKO-C5", "iom-bko-bm"),  # speaks fr and has the most specific area
        ("bm", "ML-BKO-C5-DAOUDABOUGOU", "iom-bko-bm"),
        (
            "en",
            "ML-BKO-C5",
            "iom-bko-fr",
        ),  # only iom-bko-fr speaks en (the supervisor is not first)
        ("fr", "ML-BKO-C3", "iom-bko-fr"),
        ("bm", "ML-5", "iom-mopti"),
        ("en", "ML-5", "iom-bko-fr"),  # language beats area
        ("bm", "ML-3", "iom-bko-bm"),  # language, nobody covers Sikasso
    ],
)
def test_focal_point_choice_by_language_then_area(
    demo: Directory, places: PlaceTree, language: str, place: str, expected: str
) -> None:
    decision = go(demo, places, concern="separated", place=place, language=language)
    assert decision.agency_id == "iom"
    assert ids(decision)[0] == expected


def test_area_beats_nothing_and_file_order_breaks_ties(places: PlaceTree, demo: Directory) -> None:
    iom = demo.agency("iom")
    assert iom is not None
    mopti = FocalPoint("z-mopti", "Mopti", "+22370000111", ("fr",), ("ML-5",))
    anywhere = FocalPoint("a-any", "Anywhere", "+22370000112", ("fr",))
    twin = FocalPoint("b-any", "Anywhere too", "+22370000113", ("fr",))
    agency = replace(iom, focal_points=(anywhere, twin, mopti), supervisor=None)
    directory = replace(demo, agencies=(agency,), rules=(), fallback_agency="iom")
    assert ids(go(directory, places, place="ML-5"))[0] == "z-mopti"
    assert ids(go(directory, places, place="ML-3"))[0] == "a-any"
    assert ids(go(directory, places, place="ML-3", language="en"))[0] == "a-any"


def test_backup_then_supervisor_with_the_risk_delay(demo: Directory, places: PlaceTree) -> None:
    decision = go(demo, places, concern="separated", risk="high")
    assert [(p.role, p.focal_point_id, p.after_seconds) for p in decision.recipients] == [
        ("focal point", "iom-bko-bm", 0),
        ("backup", "iom-bko-fr", 900),
        ("supervisor", "iom-sup", 1800),
    ]
    assert decision.escalation_delay == 900 and decision.reminder_after == 3 * 86400
    medium = go(demo, places, concern="street", risk="medium", language="bm")
    assert medium.agency_id == "dnds"  # daytime street alert: fallback
    assert [p.after_seconds for p in medium.recipients] == [0, 4 * 3600, 8 * 3600]
    dnds_high = go(demo, places, risk="high")
    assert dnds_high.agency_id == "dnds" and dnds_high.escalation_delay == 600  # agency override


def test_an_inactive_backup_is_skipped_and_said(demo: Directory, places: PlaceTree) -> None:
    decision = go(demo, places, concern="abuse")
    assert ids(decision) == ["dnpef-bko", "dnpef-sup"]
    assert decision.notes == ("backup dnpef-bko-2 of dnpef-bko is not active: skipped",)


def _deactivate(agency: Agency, keep: set[str]) -> Agency:
    points = tuple(replace(fp, active=fp.id in keep) for fp in agency.focal_points)
    return replace(agency, focal_points=points)


def test_no_active_focal_point_goes_to_supervisor_then_fallback(
    demo: Directory, places: PlaceTree
) -> None:
    dnpef = demo.agency("dnpef")
    assert dnpef is not None
    others = tuple(a for a in demo.agencies if a.id != "dnpef")
    only_sup = replace(demo, agencies=(*others, _deactivate(dnpef, {"dnpef-sup"})))
    decision = go(only_sup, places, concern="abuse")
    assert decision.agency_id == "dnpef" and ids(decision) == ["dnpef-sup"]
    assert decision.recipients[0].role == "supervisor"
    assert decision.selection == "agency dnpef has no active focal point: supervisor notified first"
    nobody = replace(demo, agencies=(*others, _deactivate(dnpef, set())))
    decision = go(nobody, places, concern="abuse")
    assert decision.rule_id == "dnpef-abuse" and decision.agency_id == "dnds"
    assert decision.reason == (
        "rule dnpef-abuse matched, but agency dnpef has no active focal point: fallback agency dnds"
    )
    assert ids(decision)[0] == "dnds-c4-c6"


def test_alert_facts_are_checked() -> None:
    with pytest.raises(ValueError, match="concern 'kidnapping'"):
        AlertFacts("kidnapping", "ML-BKO", "high")
    with pytest.raises(ValueError, match="language"):
        AlertFacts("abuse", "ML-BKO", "high", language="de")


def test_explain_names_rules_people_and_masks_phones(demo: Directory, places: PlaceTree) -> None:
    decision = go(demo, places, concern="separated", risk="high")
    text = explain(decision, places)
    assert "rule night-street: concern separated is not in [street]; time 14:05 Tue" in text
    assert "rule separated-iom: matched" in text
    assert "place ML-BKO-C5 (Commune V)" in text
    assert re.search(r"\+15m\s+backup\s+iom-bko-fr", text)
    assert "+223 6•••••02" in text
    for person in decision.recipients:
        assert person.phone not in text and person.phone[4:] not in text


def test_docs_show_the_current_explain_output(demo: Directory, places: PlaceTree) -> None:
    docs = (ROOT / "docs" / "directory.md").read_text(encoding="utf-8")
    decision = go(demo, places, concern="separated", risk="high")
    assert explain(decision, places) in docs
