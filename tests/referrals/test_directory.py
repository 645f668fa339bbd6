"""Loading the directory file: schema and semantic errors with lines, digest, diff."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.referrals.directory import (
    Directory,
    DirectoryError,
    format_duration,
    load_directory,
    parse_duration,
)
from gateway.referrals.directory_diff import diff
from gateway.referrals.places import PlaceTree, load_places

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "bamako-directory.yaml"
DATA = Path(__file__).with_name("data")

MINIMAL = """\
version: 1
escalation:
  high: 15m
agencies:
  - id: alpha
    name: Alpha (test)
    supervisor: alpha-sup
    focal_points:
      - id: alpha-one
        name: Alpha one
        phone: "+22370000101"
        languages: [fr]
        areas: [ML-BKO-C5]
        backup: alpha-two
      - id: alpha-two
        name: Alpha two
        phone: "+22366000102"
        languages: [bm]
      - id: alpha-sup
        name: Alpha supervisor
        phone: "+22376000103"
        languages: [fr]
  - id: beta
    name: Beta (test)
    focal_points:
      - id: beta-one
        name: Beta one
        phone: "+22379000104"
        languages: [fr]
rules:
  - id: first
    concerns: [abuse]
    places: [ML-BKO]
    time:
      - days: [mon]
        from: "19:00"
        to: "07:00"
    agency: alpha
  - id: second
    agency: beta
fallback_agency: beta
"""


@pytest.fixture(scope="module")
def places() -> PlaceTree:
    return load_places()


def line(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``text``."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1


def load(tmp_path: Path, text: str, places: PlaceTree, name: str = "dir.yaml") -> Directory:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_directory(path, places)


def problems(tmp_path: Path, text: str, places: PlaceTree) -> list[tuple[int, str]]:
    with pytest.raises(DirectoryError) as caught:
        load(tmp_path, text, places)
    for problem in caught.value.problems:
        assert problem.file == str(tmp_path / "dir.yaml")
    return [(p.line, p.message) for p in caught.value.problems]


def test_the_example_loads_and_is_marked_demo(places: PlaceTree) -> None:
    directory = load_directory(EXAMPLE, places)
    assert directory.demo is True
    assert "FICTITIOUS" in EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert [a.id for a in directory.agencies] == ["dnds", "dnpef", "iom", "samusocial", "unicef"]
    assert directory.fallback_agency == "dnds"
    assert directory.tz == "Africa/Bamako"
    iom = directory.agency("iom")
    assert iom is not None and iom.supervisor == "iom-sup"
    phones = {fp.id: fp.phone for fp in iom.focal_points}
    # Stored normalized, whatever the file's spelling ("+223 66 00 01 02", "76000103").
    assert phones["iom-bko-bm"] == "+22366000102"
    assert phones["iom-mopti"] == "+22376000103"
    assert iom.webhook is not None and iom.webhook.secret_env == "RELAIS_WEBHOOK_SECRET_IOM"
    dnds = directory.agency("dnds")
    assert dnds is not None
    assert (dnds.escalation.high, dnds.escalation.medium) == (600, 4 * 3600)
    assert directory.escalation.reminder_after == 3 * 86400


def test_minimal_file_loads_with_defaults(tmp_path: Path, places: PlaceTree) -> None:
    directory = load(tmp_path, MINIMAL, places)
    assert directory.demo is False and directory.tz == "Africa/Bamako"
    assert directory.escalation.high == 900 and directory.escalation.low == 86400
    rule = directory.rules[0]
    assert rule.time[0].days == ("mon",) and (rule.time[0].start, rule.time[0].end) == (
        "19:00",
        "07:00",
    )
    assert directory.rules[1].concerns == () and directory.rules[1].places == ()


def test_durations() -> None:
    assert [parse_duration(t) for t in ("30s", "15m", "4h", "1d")] == [30, 900, 14400, 86400]
    assert format_duration(86400) == "1d" and format_duration(5400) == "90m"
    assert parse_duration("90d") == 90 * 86400
    for bad in ("15", "15m\n", "\u00b2m", "0m", " 5m"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_durations_out_of_range_are_problems_with_their_line(
    tmp_path: Path, places: PlaceTree
) -> None:
    """A far delay passed the schema and broke routing (date overflow) later."""
    text = MINIMAL.replace("  high: 15m", "  high: 9999999d").replace(
        "    name: Beta (test)\n",
        "    name: Beta (test)\n    escalation:\n      low: |\n        15m\n",
    )
    found = problems(tmp_path, text, places)
    assert found == [
        (3, "duration '9999999d' is more than 90d"),
        (line(text, "low: |"), "not a duration: '15m\\n'"),
    ]


def test_schema_violations_name_file_and_line(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("concerns: [abuse]", "concerns: [kidnapping]").replace(
        "  high: 15m", "  high: soon"
    )
    found = problems(tmp_path, text, places)
    assert (
        line(text, "kidnapping"),
        "rules.0.concerns.0: 'kidnapping' is not one of "
        "['separated', 'displaced', 'abuse', 'exploitation', 'street', 'other']",
    ) in found
    assert any(n == line(text, "high: soon") and "does not match" in m for n, m in found)
    with pytest.raises(DirectoryError) as caught:
        load(tmp_path, text, places)
    first = str(caught.value).splitlines()[0]
    assert first.startswith(f"{tmp_path / 'dir.yaml'}:{line(text, 'high: soon')}: escalation.high")


def test_unknown_keys_and_a_secret_in_the_file_are_refused(
    tmp_path: Path, places: PlaceTree
) -> None:
    text = MINIMAL.replace(
        "    supervisor: alpha-sup\n",
        "    supervisor: alpha-sup\n    webhook: {url: 'https://x.example', secret: s3cr3t}\n",
    )
    found = problems(tmp_path, text, places)
    webhook = line(text, "webhook:")
    assert any(n == webhook and "'secret_env' is a required property" in m for n, m in found)
    assert any(n == webhook and "'secret' was unexpected" in m for n, m in found)


def test_missing_fallback_agency_is_reported(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("fallback_agency: beta\n", "")
    assert problems(tmp_path, text, places) == [
        (1, "(top): 'fallback_agency' is a required property")
    ]


def test_yaml_1_1_no_stays_a_string(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("alpha-two", "no").replace('from: "19:00"', "from: 19:00")
    directory = load(tmp_path, text, places)
    alpha = directory.agency("alpha")
    assert alpha is not None
    assert [fp.id for fp in alpha.focal_points] == ["alpha-one", "no", "alpha-sup"]
    assert alpha.focal_points[0].backup == "no"
    assert directory.rules[0].time[0].start == "19:00"


def test_integer_phone_is_a_schema_error_with_a_hint(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace('"+22379000104"', "70000104")
    assert problems(tmp_path, text, places) == [
        (
            line(text, "70000104"),
            "agencies.1.focal_points.0.phone: 70000104 is not of type 'string'"
            " (quote the number: YAML read it as an integer)",
        )
    ]


def test_invalid_phone_number(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace('"+22366000102"', '"+223 12"')
    [(number, message)] = problems(tmp_path, text, places)
    assert number == line(text, "+223 12")
    assert message.startswith("invalid phone number for alpha-two")


def test_a_number_shared_by_two_focal_points(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace('phone: "+22379000104"', 'phone: "70 00 01 01"')  # alpha-one's
    assert problems(tmp_path, text, places) == [
        (line(text, '"70 00 01 01"'), "beta-one has the phone number of alpha-one")
    ]


def test_unknown_places(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("areas: [ML-BKO-C5]", "areas: [ML-BKO-C9]").replace(
        "places: [ML-BKO]", "places: [ML-BKO, ML-99]"
    )
    assert problems(tmp_path, text, places) == [
        (line(text, "ML-BKO-C9"), "unknown place code 'ML-BKO-C9'"),
        (line(text, "ML-99"), "unknown place code 'ML-99'"),
    ]


def test_unknown_backup_self_backup_and_unknown_supervisor(
    tmp_path: Path, places: PlaceTree
) -> None:
    text = (
        MINIMAL.replace("backup: alpha-two", "backup: beta-one")
        .replace("supervisor: alpha-sup", "supervisor: nobody")
        .replace(
            "        languages: [bm]\n", "        languages: [bm]\n        backup: alpha-two\n"
        )
    )
    assert problems(tmp_path, text, places) == [
        (line(text, "supervisor: nobody"), "supervisor 'nobody' is not a focal point of alpha"),
        (line(text, "backup: beta-one"), "backup 'beta-one' is not a focal point of alpha"),
        (line(text, "backup: alpha-two"), "focal point 'alpha-two' cannot be its own backup"),
    ]


def test_a_real_directory_refuses_an_example_webhook_address(
    tmp_path: Path, places: PlaceTree
) -> None:
    """Never called (example.org): a real directory would drop every delivery."""
    hook = "    webhook:\n      url: https://cases.example.org/relais\n      secret_env: HOOK\n"
    text = MINIMAL.replace("    name: Beta (test)\n", "    name: Beta (test)\n" + hook)
    assert problems(tmp_path, text, places) == [
        (
            line(text, "url: https://cases.example.org"),
            "webhook of beta is an example address: give the agency's real URL"
            " or remove the webhook",
        )
    ]
    load(tmp_path, "demo: true\n" + text, places)  # a demonstration directory may
    load(tmp_path, text.replace("example.org", "unicef.org"), places)


def test_duplicate_ids(tmp_path: Path, places: PlaceTree) -> None:
    text = (
        MINIMAL.replace("id: beta\n", "id: alpha\n")
        .replace("id: beta-one", "id: alpha-one")
        .replace("id: second", "id: first")
        .replace("fallback_agency: beta", "fallback_agency: alpha")
        .replace("agency: beta", "agency: alpha")
    )
    lines = text.splitlines()
    second_alpha = next(i for i, t in enumerate(lines) if t == "  - id: alpha" and i > 10) + 1
    assert problems(tmp_path, text, places) == [
        (second_alpha, "duplicate agency id 'alpha'"),
        (
            line(text, "  - id: alpha-one\n        name: Beta"),
            "duplicate focal point id 'alpha-one'",
        ),
        (len(lines) - lines[::-1].index("  - id: first"), "duplicate rule id 'first'"),
    ]


def test_duplicate_yaml_keys_and_syntax_errors(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("    name: Beta (test)\n", "    name: Beta (test)\n    name: Again\n")
    assert problems(tmp_path, text, places) == [(line(text, "name: Again"), "duplicate key 'name'")]
    broken = MINIMAL.replace("languages: [bm]", "languages: [bm")
    [(number, message)] = problems(tmp_path, broken, places)
    assert message.startswith("invalid YAML") and number >= line(broken, "languages: [bm")


def test_bad_time_windows(tmp_path: Path, places: PlaceTree) -> None:
    same = MINIMAL.replace('to: "07:00"', 'to: "19:00"')
    assert problems(tmp_path, same, places) == [
        (line(same, "- days: [mon]"), "bad time window 19:00-19:00: need from < 24:00, from != to")
    ]
    hour = MINIMAL.replace('to: "07:00"', 'to: "25:00"')
    [(number, message)] = problems(tmp_path, hour, places)
    assert number == line(hour, "25:00") and message.startswith("rules.0.time.0.to: '25:00'")
    day = MINIMAL.replace("days: [mon]", "days: [monday]")
    [(number, message)] = problems(tmp_path, day, places)
    assert number == line(day, "monday") and "'monday' is not one of" in message


def test_rules_and_fallback_must_name_known_agencies(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("    agency: beta", "    agency: gamma").replace(
        "fallback_agency: beta", "fallback_agency: delta"
    )
    assert problems(tmp_path, text, places) == [
        (line(text, "agency: gamma"), "rule 'second': unknown agency 'gamma'"),
        (line(text, "fallback_agency"), "unknown fallback agency 'delta'"),
    ]


def test_fallback_agency_needs_an_active_focal_point(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace(
        '"+22379000104"\n        languages: [fr]\n',
        '"+22379000104"\n        languages: [fr]\n        active: false\n',
    )
    assert problems(tmp_path, text, places) == [
        (line(text, "fallback_agency"), "fallback agency 'beta' has no active focal point")
    ]


def test_unknown_time_zone(tmp_path: Path, places: PlaceTree) -> None:
    text = MINIMAL.replace("version: 1\n", "version: 1\ntz: Africa/Atlantis\n")
    assert problems(tmp_path, text, places) == [(2, "unknown time zone 'Africa/Atlantis'")]


def test_error_string_lists_every_problem_as_file_line_message(
    tmp_path: Path, places: PlaceTree
) -> None:
    text = MINIMAL.replace("areas: [ML-BKO-C5]", "areas: [ML-XX]").replace(
        "    agency: beta", "    agency: gamma"
    )
    with pytest.raises(DirectoryError) as caught:
        load(tmp_path, text, places)
    file = tmp_path / "dir.yaml"
    assert str(caught.value).splitlines() == [
        f"{file}:{line(text, 'ML-XX')}: unknown place code 'ML-XX'",
        f"{file}:{line(text, 'agency: gamma')}: rule 'second': unknown agency 'gamma'",
    ]


def test_digest_is_stable_across_key_and_agency_order(tmp_path: Path, places: PlaceTree) -> None:
    original = load(tmp_path, MINIMAL, places, "a.yaml")
    shuffled = load_directory(DATA / "minimal-shuffled.yaml", places)
    assert shuffled == original
    assert shuffled.digest() == original.digest()
    assert json.loads(json.dumps(original.to_dict())) == original.to_dict()
    changed = load(tmp_path, MINIMAL.replace("+22366000102", "+22366000199"), places, "b.yaml")
    assert changed.digest() != original.digest()
    reordered = replace(original, rules=original.rules[::-1])
    assert reordered.digest() != original.digest()


def test_diff_describes_changes_and_masks_phones(tmp_path: Path, places: PlaceTree) -> None:
    old = load(tmp_path, MINIMAL, places, "a.yaml")
    assert diff(old, old) == []
    created = diff(None, old)
    assert created[0].startswith("directory created (")
    assert "agency added: alpha (Alpha (test), 3 focal points)" in created
    assert "rule added: second (position 2)" in created
    text = (
        MINIMAL.replace("+22366000102", "+22366000199")
        .replace("fallback_agency: beta", "fallback_agency: alpha")
        .replace("  high: 15m", "  high: 10m")
    )
    new = load(tmp_path, text, places, "b.yaml")
    new = replace(new, rules=new.rules[::-1])
    changes = diff(old, new)
    assert "agency alpha: focal point alpha-two: phone: +223 6•••••02 → +223 6•••••99" in changes
    assert "fallback_agency: beta → alpha" in changes
    assert "escalation high: 15m → 10m" in changes
    assert "agency alpha: escalation high: 15m → 10m" in changes
    assert "rules reordered: first, second → second, first" in changes
    joined = "\n".join(changes)
    assert "66000102" not in joined and "66000199" not in joined


def test_diff_reports_added_and_removed_items(tmp_path: Path, places: PlaceTree) -> None:
    old = load(tmp_path, MINIMAL, places, "a.yaml")
    alpha = old.agency("alpha")
    assert alpha is not None
    fewer = replace(alpha, focal_points=alpha.focal_points[:1] + alpha.focal_points[2:])
    new = replace(old, agencies=(fewer,), rules=old.rules[:1])
    assert diff(old, new) == [
        "agency alpha: focal point removed: alpha-two",
        "agency removed: beta",
        "rule removed: second",
    ]


def test_diff_says_a_phone_changed_even_when_masks_look_alike(
    tmp_path: Path, places: PlaceTree
) -> None:
    old = load(tmp_path, MINIMAL, places, "a.yaml")
    new = load(tmp_path, MINIMAL.replace("+22366000102", "+22366900102"), places, "b.yaml")
    assert diff(old, new) == ["agency alpha: focal point alpha-two: phone: changed (+223 6•••••02)"]


def test_a_version_stored_before_the_newer_checks_is_still_read(
    tmp_path: Path, places: PlaceTree
) -> None:
    """An upgrade must not stop routing: the checks added since (90-day bound,
    one number for two people) refuse a new load, not the version in force."""
    from gateway.referrals.directory import load_directory_text

    text = MINIMAL.replace("  high: 15m", "  high: 120d").replace(
        'phone: "+22379000104"', 'phone: "70 00 01 01"'
    )
    with pytest.raises(DirectoryError):
        load_directory_text(text, "new.yaml", places)
    stored = load_directory_text(text, "stored.yaml", places, strict=False)
    assert stored.escalation.high == 90 * 86400  # clamped, so no date overflows
