"""Draw a flow as a Mermaid ``flowchart`` (for docs and reviews)."""

from __future__ import annotations

from gateway.flows.model import Flow, Guard


def _guard(guard: Guard | None) -> str:
    if guard is None:
        return ""
    if guard.answer is not None:
        return f"answer = {guard.answer}"
    if guard.equals is not None:
        return f"{guard.field} = {guard.equals}"
    return f"{guard.field} in {', '.join(guard.one_of)}"


def _action(name: str, arg: object) -> str:
    if isinstance(arg, dict):
        return ", ".join(f"{key}={value}" for key, value in arg.items())
    return name if arg is None else f"{name} {arg}"


def _label(text: str) -> str:
    return text.replace('"', "'")


def to_mermaid(flow: Flow) -> str:
    """Return a Mermaid flowchart: one node per state, one edge per transition."""
    lines = ["flowchart TD"]
    for sid, state in flow.states.items():
        actions = [_action(a.name, a.arg) for a in state.actions]
        detail = ", ".join(actions)
        if state.final:
            lines.append(f'    {sid}(["{_label(sid)}: {_label(detail or "end")}"])')
        else:
            kind = state.type or ""
            if state.required:
                kind += ", required"
            extra = f"<br/>{_label(detail)}" if detail else ""
            lines.append(f'    {sid}["{_label(sid)} ({kind}){extra}"]')
    for sid, state in flow.states.items():
        for transition in state.transitions:
            parts = [_guard(transition.when)]
            parts += [_action(a.name, a.arg) for a in transition.actions]
            label = _label("; ".join(p for p in parts if p))
            arrow = f' -->|"{label}"| ' if label else " --> "
            lines.append(f"    {sid}{arrow}{transition.goto}")
    if flow.language_state:
        lines.append(f"    %% {flow.language_state} is skipped when the language is known")
    return "\n".join(lines) + "\n"
