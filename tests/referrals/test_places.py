"""The place hierarchy: data file, hierarchical matching, unknown codes, strict YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway.referrals.places import PlacesError, PlaceTree, load_places
from gateway.yamlsafe import StrictLoader

FLOW_PLACES = Path(__file__).resolve().parents[2] / "flows" / "places.yaml"


@pytest.fixture(scope="module")
def tree() -> PlaceTree:
    return load_places()


def test_regions_and_communes_of_the_flow_exist_with_the_same_codes(tree: PlaceTree) -> None:
    data = yaml.safe_load(FLOW_PLACES.read_text(encoding="utf-8"))
    codes = [item["code"] for group in data["groups"].values() for item in group]
    assert len(codes) == 16
    for code in codes:
        assert code in tree, code
    assert [tree.get(f"ML-{n}").kind for n in range(1, 11)] == ["region"] * 10
    assert tree.get("ML-BKO").parent == "ML"
    for n in range(1, 7):
        place = tree.get(f"ML-BKO-C{n}")
        assert place is not None and place.parent == "ML-BKO" and place.kind == "commune"


def test_ancestors_go_from_self_up_to_ml(tree: PlaceTree) -> None:
    assert tree.ancestors("ML-BKO-C5-BADALABOUGOU") == [
        "ML-BKO-C5-BADALABOUGOU",
        "ML-BKO-C5",
        "ML-BKO",
        "ML",
    ]
    assert tree.ancestors("ML-3") == ["ML-3", "ML"]
    assert tree.ancestors("ML") == ["ML"]
    assert tree.ancestors("ML-2-KATI-KALABANCORO")[-3:] == ["ML-2-KATI", "ML-2", "ML"]


def test_contains_is_hierarchical_and_one_way(tree: PlaceTree) -> None:
    assert tree.contains("ML-BKO", "ML-BKO-C5")
    assert tree.contains("ML-BKO", "ML-BKO-C5-SABALIBOUGOU")
    assert tree.contains("ML-BKO-C5", "ML-BKO-C5")
    assert tree.contains("ML", "ML-3")
    assert not tree.contains("ML-BKO", "ML-3")
    assert not tree.contains("ML-BKO-C5", "ML-BKO")
    assert not tree.contains("ML-BKO-C5", "ML-BKO-C6-FALADIE")
    # A code that merely starts like another is not inside it.
    assert not tree.contains("ML-1", "ML-10")


def test_unknown_codes_are_explicit(tree: PlaceTree) -> None:
    assert tree.get("ML-BKO-C7") is None
    assert tree.ancestors("ML-BKO-C7") == []
    assert not tree.contains("ML-BKO-C7", "ML-BKO-C7")
    assert not tree.contains("ML", "ML-BKO-C7")
    assert not tree.contains("ML-BKO-C7", "ML-BKO")
    assert tree.name("ML-BKO-C7", "fr") == "ML-BKO-C7"
    assert tree.depth("ML-BKO-C7") == -1


def test_names_by_language_fall_back_to_french(tree: PlaceTree) -> None:
    assert tree.name("ML-6", "fr") == "Tombouctou"
    assert tree.name("ML-6", "en") == "Timbuktu"
    assert tree.name("ML-6", "bm") == "Tombouctou"
    assert tree.name("ML-BKO-C2-MEDINA-COURA") == "Médina Coura"
    assert tree.name("ML-BKO", "en") == "Bamako District"


def test_a_child_code_must_extend_its_parent_code(tmp_path: Path) -> None:
    path = tmp_path / "places.yaml"
    path.write_text(
        "places:\n"
        "  - code: ML\n"
        "    kind: country\n"
        "    name: Mali\n"
        "    children:\n"
        "      - {code: ML-1, kind: region, name: Kayes}\n"
        "      - {code: XX-2, kind: region, name: Koulikoro}\n"
        "      - {code: ML-1, kind: region, name: Kayes again}\n",
        encoding="utf-8",
    )
    with pytest.raises(PlacesError) as caught:
        load_places(path)
    text = str(caught.value)
    assert f"{path}:7: code XX-2 must start with ML-" in text
    assert f"{path}:8: duplicate place code ML-1" in text


def test_strict_loader_keeps_yaml_1_1_words_and_times_as_strings() -> None:
    text = (
        "a: no\nb: yes\nc: on\nd: off\ne: 19:00\nf: +22370000101\ng: true\nh: False\n"
        "i: 12\nj: 2024-01-01\nk: 010\n"
    )
    data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    assert data == {
        "a": "no",
        "b": "yes",
        "c": "on",
        "d": "off",
        "e": "19:00",
        "f": "+22370000101",
        "g": True,
        "h": False,
        "i": 12,
        "j": "2024-01-01",
        "k": "010",
    }
