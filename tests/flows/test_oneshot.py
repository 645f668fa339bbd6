"""The one-shot structured SMS of trained community relays."""

from __future__ import annotations

import pytest

from gateway.encoding import fits
from gateway.flows.model import Flow
from gateway.flows.oneshot import OneShotSpec, is_oneshot, parse_oneshot


def test_complete(alert: Flow, oneshot_spec: OneShotSpec) -> None:
    result = parse_oneshot("ALERTE ENA F 12 C5 Marche Medine", alert, oneshot_spec)
    assert result.complete
    assert result.answers == {
        "concern": "separated",
        "sex": "girl",
        "age_band": "12-14",
        "place": "ML-BKO-C5",
        "landmark": "Marche Medine",
        "risk": "medium",
    }
    assert "{reference}" in result.reply


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("alerte dep urg 3 G 7 commune 4 pres du fleuve", "risk", "high"),
        ("alerte dep urg 3 G 7 commune 4 pres du fleuve", "children_count", 3),
        ("alerte dep urg 3 G 7 commune 4 pres du fleuve", "place", "ML-BKO-C4"),
        ("alerte dep urg 3 G 7 commune 4 pres du fleuve", "landmark", "pres du fleuve"),
        ("ALERT EXP B 16 Segou gold mine", "place", "ML-4"),
        ("ALERT EXP B 16 Segou gold mine", "sex", "boy"),
        ("ALERTE ABUS FG X ML-10", "age_band", "unknown"),
        ("ALERTE ABUS FG X ML-10", "place", "ML-10"),
        ("Alerte rue f douze c1", "age_band", "12-14"),
        ("ALERTE AUT X 2 CV", "concern", "other"),
        ("ALERTE AUT X 2 CV", "age_band", "0-4"),
    ],
)
def test_fields(
    alert: Flow, oneshot_spec: OneShotSpec, text: str, field: str, value: object
) -> None:
    result = parse_oneshot(text, alert, oneshot_spec)
    assert result.complete, result.missing
    assert result.answers[field] == value


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("ALERTE XYZ F 12 C5", ["concern"]),
        ("ALERTE ENA Q 12 C5 marche", ["sex"]),
        ("ALERTE ENA F 99 C5", ["age"]),
        ("ALERTE ENA F 12 nulle part", ["place"]),
        ("ALERTE ENA F vieux zz", ["age", "place"]),
        ("ALERTE", ["concern", "sex", "age", "place"]),
    ],
)
def test_partial_names_unreadable_parts(
    alert: Flow, oneshot_spec: OneShotSpec, text: str, missing: list[str]
) -> None:
    result = parse_oneshot(text, alert, oneshot_spec)
    assert result.missing == missing
    assert not result.complete
    assert "{reference}" not in result.reply
    labels = {"concern": "type", "sex": "sexe", "age": "âge", "place": "lieu"}
    for part in missing[:2]:
        assert labels[part] in result.reply or labels[part].replace("â", "a") in result.reply
    assert fits(result.reply)


@pytest.mark.parametrize(("count", "read"), [("\u00b2", 2), ("\u2460", 1), ("07", 7)])
def test_counts_typed_oddly_are_read(
    alert: Flow, oneshot_spec: OneShotSpec, count: str, read: int
) -> None:
    """ "²" and "①" are digits to str.isdigit but not to int(): they failed the
    whole message (no alert, no reply)."""
    result = parse_oneshot(f"ALERTE ENA {count} F 12 C5 Marche", alert, oneshot_spec)
    assert result.complete and result.answers["children_count"] == read


@pytest.mark.parametrize("count", ["0", "1000", "123456"])
def test_impossible_counts_leave_the_count_unknown(
    alert: Flow, oneshot_spec: OneShotSpec, count: str
) -> None:
    """1000 was cut to 100 and 0 stored as 0 children (the question allows 1-99)."""
    result = parse_oneshot(f"ALERTE ENA {count} F 12 C5 Marche", alert, oneshot_spec)
    assert result.complete, result.missing
    assert "children_count" not in result.answers
    assert (result.answers["sex"], result.answers["place"]) == ("girl", "ML-BKO-C5")


def test_reply_language(alert: Flow, oneshot_spec: OneShotSpec) -> None:
    assert "Could not read" in parse_oneshot("ALERT ENA", alert, oneshot_spec, "en").reply
    assert "Thank you" in parse_oneshot("ALERT ENA F 3 C1", alert, oneshot_spec, "en").reply


def test_is_oneshot(oneshot_spec: OneShotSpec) -> None:
    assert is_oneshot("ALERTE ENA F 12 C5", oneshot_spec)
    assert is_oneshot("alert abus", oneshot_spec)
    assert not is_oneshot("ALERTE", oneshot_spec)
    assert not is_oneshot("bonjour ENA", oneshot_spec)
