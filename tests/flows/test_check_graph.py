"""check_flow finds graph and length problems; the Mermaid diagram is in the docs."""

from __future__ import annotations

from pathlib import Path

from gateway.flows.check import check_flow
from gateway.flows.graph import to_mermaid
from gateway.flows.loader import FLOWS_DIR
from gateway.flows.model import Flow

from .conftest import DATA, SHIPPED, marker_line

DOCS = Path(__file__).resolve().parents[2] / "docs" / "flows.md"


def test_shipped_flows_are_clean() -> None:
    for flow in SHIPPED.values():
        assert check_flow(flow.path) == []


def test_unreachable_and_dead_end_found_with_lines() -> None:
    path = DATA / "graph_problems.yaml"
    found = {(p.kind, p.line) for p in check_flow(path)}
    assert ("unreachable", marker_line(path, "unreachable")) in found
    assert ("dead_end", marker_line(path, "dead end")) in found
    assert all(p.file == str(path) for p in check_flow(path))


def test_lengths_found_with_encoding() -> None:
    path = DATA / "long_menu.yaml"
    problems = check_flow(path)
    long_sms = [p for p in problems if p.kind == "sms_length"]
    assert any(p.line == marker_line(path, "sms too long") for p in long_sms)
    assert any("GSM-7" in p.message and "[en]" in p.message for p in long_sms)
    assert not [p for p in problems if p.kind == "ussd_length"]  # paging keeps screens short


def test_load_errors_are_reported_not_raised() -> None:
    problems = check_flow(DATA / "missing_bm.yaml")
    assert problems and problems[0].kind == "translation"


def test_ussd_over_limit_found(tmp_path: Path) -> None:
    source = (FLOWS_DIR / "alert.yaml").read_text(encoding="utf-8")
    long_text = "Très long " * 20
    broken = source.replace(
        'en: "How many children? Send a number (e.g. 2)."', f'en: "{long_text}"'
    )
    for name in ("places.yaml", "lexicon.yaml"):
        (tmp_path / name).write_text((FLOWS_DIR / name).read_text(encoding="utf-8"))
    (tmp_path / "alert.yaml").write_text(broken, encoding="utf-8")
    kinds = {p.kind for p in check_flow(tmp_path / "alert.yaml")}
    assert kinds == {"sms_length", "ussd_length"}


def test_mermaid_has_every_state_and_guard(alert: Flow) -> None:
    chart = to_mermaid(alert)
    assert chart.startswith("flowchart TD")
    for sid in alert.states:
        assert f"    {sid}[" in chart or f"    {sid}(" in chart
    assert '    where -->|"answer = other"| region' in chart
    assert "risk=high" in chart


def test_docs_diagram_is_up_to_date(alert: Flow) -> None:
    assert to_mermaid(alert) in DOCS.read_text(encoding="utf-8")
