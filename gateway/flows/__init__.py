"""Conversation flows for SMS and USSD, as pure code (no database, Redis or web).

Flows are YAML files in ``flows/`` validated against ``schema.json``. The
public API:

* :func:`load_flow`, :func:`load_flows` -> :class:`Flow` (raise :class:`FlowError`)
* :func:`start`, :func:`step`, :func:`advance_ussd` -> :class:`StepResult`
* :func:`ussd_response` (``CON ``/``END `` body), :func:`fill_reference`
* :func:`new_reference`, :func:`parse_oneshot`, :func:`check_flow`, :func:`to_mermaid`
"""

from __future__ import annotations

from gateway.flows.check import check_flow
from gateway.flows.engine import advance_ussd, start, step
from gateway.flows.errors import FlowError, Problem
from gateway.flows.graph import to_mermaid
from gateway.flows.loader import load_flow, load_flows
from gateway.flows.model import Action, ConversationState, Flow, StepResult
from gateway.flows.oneshot import OneShot, load_oneshot, parse_oneshot
from gateway.flows.reference import new_reference
from gateway.flows.render import fill_reference, ussd_response

__all__ = [
    "Action",
    "ConversationState",
    "Flow",
    "FlowError",
    "OneShot",
    "Problem",
    "StepResult",
    "advance_ussd",
    "check_flow",
    "fill_reference",
    "load_flow",
    "load_flows",
    "load_oneshot",
    "new_reference",
    "parse_oneshot",
    "start",
    "step",
    "to_mermaid",
    "ussd_response",
]
