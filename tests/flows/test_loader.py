"""Loading flows: YAML 1.1 surprises, translations, schema errors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway.flows.errors import FlowError
from gateway.flows.loader import FLOWS_DIR, load_flow, load_lexicon
from gateway.flows.yamlsource import read_yaml

from .conftest import DATA, marker_line

YAML11 = "a: no\nb: yes\nc: on\nd: off\ne: true\nf: False\ng: 2024-01-01\nh: 3\n"


def test_yes_no_on_off_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "y.yaml"
    path.write_text(YAML11)
    data, _ = read_yaml(path)
    assert data == {
        "a": "no",
        "b": "yes",
        "c": "on",
        "d": "off",
        "e": True,
        "f": False,
        "g": "2024-01-01",
        "h": 3,
    }
    assert yaml.safe_load(YAML11)["a"] is False  # what a plain SafeLoader would do


def test_shipped_lexicon_keeps_yes_and_no_keys() -> None:
    lexicon = load_lexicon(FLOWS_DIR / "lexicon.yaml", ("fr", "bm", "en"))
    assert set(lexicon.yesno) == {"yes", "no", "unsure"}
    assert "no" in lexicon.skip


def test_missing_bambara_translation_names_file_and_line() -> None:
    path = DATA / "missing_bm.yaml"
    with pytest.raises(FlowError) as info:
        load_flow(path)
    line = marker_line(path, "missing bm")
    assert f"{path}:{line}:" in str(info.value)
    assert "'bm'" in str(info.value)


def test_schema_error_names_the_line() -> None:
    path = DATA / "schema_error.yaml"
    with pytest.raises(FlowError) as info:
        load_flow(path)
    assert f"{path}:{marker_line(path, 'schema error')}:" in str(info.value)
    assert "choise" in str(info.value)


def test_unknown_state_and_duplicate_key(tmp_path: Path) -> None:
    source = (FLOWS_DIR / "alert.yaml").read_text(encoding="utf-8")
    broken = source.replace("    next: sex\n", "    next: sexx\n")
    for name in ("places.yaml", "lexicon.yaml"):
        (tmp_path / name).write_text((FLOWS_DIR / name).read_text(encoding="utf-8"))
    path = tmp_path / "alert.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(FlowError) as info:
        load_flow(path)
    line = broken.splitlines().index("    next: sexx") + 1
    assert f"{path}:{line}:" in str(info.value) and "sexx" in str(info.value)
    path.write_text(source.replace("max_retries: 2", "max_retries: 2\nmax_retries: 3"))
    with pytest.raises(FlowError, match="duplicate key 'max_retries'"):
        load_flow(path)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("flow: x\nstates:\n  a: [unclosed\n")
    with pytest.raises(FlowError) as info:
        load_flow(path)
    assert f"{path}:" in str(info.value)
    assert info.value.problems[0].line >= 3


def test_bambara_marked_unvalidated() -> None:
    flow = load_flow(FLOWS_DIR / "alert.yaml")
    assert flow.unvalidated_languages == ("bm",)
    assert "NOT yet validated" in (FLOWS_DIR / "alert.yaml").read_text(encoding="utf-8")
