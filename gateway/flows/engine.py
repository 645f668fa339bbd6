"""The conversation engine: pure functions from (flow, state, input) to replies.

:func:`start` gives the first question; :func:`step` reads one message and
returns a :class:`~gateway.flows.model.StepResult` (texts to send, the new
:class:`~gateway.flows.model.ConversationState`, actions for the caller,
whether the conversation ended). Nothing here touches a database, Redis,
the network or the clock; the caller stores the state and performs actions.

Actions (``Action.name`` -> ``payload``):

* ``save`` -> ``{"field": str, "value": str | int}`` (also kept in ``state.answers``)
* ``set_language`` -> ``{"language": "fr" | "bm" | "en"}`` (remember it for the number)
* ``create_alert`` -> ``{"flow", "answers", "language", "channel"}``; the final
  reply holds a ``{reference}`` placeholder the caller fills (:func:`fill_reference`)
* ``end`` -> ``{"reason": "completed" | "invalid_answers" | "dead_end", "state": id}``
* ``opt_out`` / ``opt_in`` -> ``{}`` (STOP / START keywords)
* ``help`` -> ``{}``; ``restart`` -> ``{}``
* ``status_query`` -> ``{"reference": str}``: the caller sends the alert's status
"""

from __future__ import annotations

import dataclasses

from gateway.channels.africastalking.wire import latest_input
from gateway.flows.answers import menu_options, parse_answer
from gateway.flows.keywords import HELP, RESTART, START, STATUS, STOP, detect_keyword
from gateway.flows.model import (
    UNKNOWN,
    Action,
    ActionDef,
    AnswerValue,
    ConversationState,
    Flow,
    StateDef,
    StepResult,
)
from gateway.flows.render import (
    PAGE_KEY,
    hint_text,
    prompt_text,
    sms_messages,
    sms_question,
    ussd_pages,
    ussd_screen,
)
from gateway.flows.text import fold

MAX_INPUT = 2000  # longer inputs are cut before reading (an SMS holds at most 1600)


def _language(flow: Flow, state: ConversationState) -> str:
    return state.language if state.language in flow.languages else flow.default_language


def _body(flow: Flow, sdef: StateDef, cs: ConversationState, channel: str) -> str:
    lang = _language(flow, cs)
    if channel == "ussd":
        pages = ussd_pages(flow, sdef, lang)
        return pages[cs.page % len(pages)]
    return sms_question(flow, sdef, lang) if not sdef.final else prompt_text(flow, sdef, lang)


def _result(
    flow: Flow,
    cs: ConversationState,
    channel: str,
    notices: list[str],
    actions: list[Action],
    *,
    body: bool = True,
) -> StepResult:
    """Assemble the replies for ``channel``: SMS messages or one USSD screen."""
    text = _body(flow, flow.states[cs.state], cs, channel) if body else None
    if channel == "ussd":
        replies = [ussd_screen(notices, text or "")] if text is not None or notices else [""]
        if text is None and notices:
            replies = [ussd_screen(notices[:-1], notices[-1])]
    else:
        replies = sms_messages(notices, text)
    return StepResult(replies=replies, state=cs, actions=actions, done=cs.done)


def _enter(
    flow: Flow,
    cs: ConversationState,
    sid: str,
    channel: str,
    notices: list[str],
    actions: list[Action],
) -> StepResult:
    """Move to state ``sid``; run a final state's actions; render what comes next."""
    cs.state, cs.retries, cs.page = sid, 0, 0
    sdef = flow.states[sid]
    if sdef.final:
        cs.done = True
        for action in sdef.actions:
            if action.name == "create_alert":
                actions.append(
                    Action(
                        "create_alert",
                        {
                            "flow": flow.name,
                            "answers": dict(cs.answers),
                            "language": _language(flow, cs),
                            "channel": channel,
                        },
                    )
                )
            elif action.name == "end":
                actions.append(Action("end", {"reason": "completed", "state": sid}))
    return _result(flow, cs, channel, notices, actions)


def start(
    flow: Flow,
    channel: str,
    language: str | None = None,
    answers: dict[str, AnswerValue] | None = None,
) -> StepResult:
    """Start ``flow`` on ``channel``; skip the language question when ``language`` is known."""
    known = language if language in flow.languages else None
    cs = ConversationState(
        flow=flow.name,
        state=flow.start,
        channel=channel,
        language=known,
        answers=dict(answers or {}),
    )
    sid = flow.start
    if known and flow.language_state == sid:
        default = next((t for t in flow.states[sid].transitions if t.when is None), None)
        if default is not None:
            sid = default.goto
    return _enter(flow, cs, sid, channel, [], [])


def _apply(
    flow: Flow,
    cs: ConversationState,
    value: AnswerValue,
    action_defs: tuple[ActionDef, ...],
    actions: list[Action],
) -> None:
    """Run named actions after an answer: ``save``, ``set``, ``set_language``."""
    for item in action_defs:
        if item.name == "save":
            cs.answers[str(item.arg)] = value
            actions.append(Action("save", {"field": str(item.arg), "value": value}))
        elif item.name == "set":
            for key, fixed in dict(item.arg).items():
                cs.answers[key] = fixed
                actions.append(Action("save", {"field": key, "value": fixed}))
        elif item.name == "set_language":
            lang = str(value) if str(value) in flow.languages else _language(flow, cs)
            cs.language = lang
            actions.append(Action("set_language", {"language": lang}))


def _accept(
    flow: Flow,
    cs: ConversationState,
    sdef: StateDef,
    value: AnswerValue,
    channel: str,
    actions: list[Action],
) -> StepResult:
    """Store an accepted answer, then follow the first transition whose guard holds."""
    _apply(flow, cs, value, sdef.actions, actions)
    for transition in sdef.transitions:
        if transition.when is None or transition.when.matches(value, cs.answers):
            _apply(flow, cs, value, transition.actions, actions)
            return _enter(flow, cs, transition.goto, channel, [], actions)
    cs.done = True
    actions.append(Action("end", {"reason": "dead_end", "state": sdef.id}))
    return _result(
        flow, cs, channel, [flow.text("gave_up", _language(flow, cs))], actions, body=False
    )


def _keyword(flow: Flow, cs: ConversationState, text: str, channel: str) -> StepResult | None:
    """Handle a keyword message; None when ``text`` is not a keyword."""
    keyword = detect_keyword(text, flow.lexicon)
    if keyword is None:
        return None
    lang = _language(flow, cs)
    if keyword.name == STOP:
        cs.done = True
        return _result(
            flow, cs, channel, [flow.text("stopped", lang)], [Action("opt_out")], body=False
        )
    if keyword.name in (START, RESTART):
        fresh = start(flow, channel, cs.language)
        action = Action("opt_in") if keyword.name == START else Action("restart")
        notices = [flow.text("started", lang)] if keyword.name == START else []
        return _result(flow, fresh.state, channel, notices, [action, *fresh.actions])
    if cs.done:
        return None
    if keyword.name == HELP:
        # The general help does not fit above most USSD menus: a short one does.
        helper = "help_ussd" if channel == "ussd" and "help_ussd" in flow.texts else "help"
        return _result(flow, cs, channel, [flow.text(helper, lang)], [Action("help")])
    if keyword.name == STATUS and keyword.argument:
        action = Action("status_query", {"reference": keyword.argument})
        if channel == "sms":
            return StepResult(replies=[], state=cs, actions=[action], done=False)
        return _result(flow, cs, channel, [], [action])
    return _result(flow, cs, channel, [flow.text("status_missing", lang)], [])


def step(flow: Flow, state: ConversationState, user_input: str, channel: str) -> StepResult:
    """Read one message ``user_input`` from ``channel`` ("sms"/"ussd") and move on.

    Keywords are handled first at any point; on USSD ``0`` turns the page of a
    long menu. An invalid answer repeats the question with a hint at most
    ``flow.max_retries`` times; then an optional question is answered
    ``"unknown"`` and a required one ends the conversation politely. A
    message after the end starts the flow again.
    """
    cs = dataclasses.replace(state, answers=dict(state.answers), channel=channel)
    text = (user_input or "")[:MAX_INPUT]
    handled = _keyword(flow, cs, text, channel)
    if handled is not None:
        return handled
    if cs.done or cs.state not in flow.states or flow.states[cs.state].final:
        return start(flow, channel, cs.language)
    sdef = flow.states[cs.state]
    lang = _language(flow, cs)
    if channel == "ussd" and fold(text) == PAGE_KEY and menu_options(flow, sdef):
        pages = ussd_pages(flow, sdef, lang)
        if len(pages) > 1:
            cs.page = (cs.page + 1) % len(pages)
            return _result(flow, cs, channel, [], [])
    value = parse_answer(flow, sdef, text, lang)
    actions: list[Action] = []
    if value is None:
        cs.retries += 1
        if cs.retries <= flow.max_retries:
            return _result(flow, cs, channel, [hint_text(flow, sdef, lang)], actions)
        if sdef.required:
            cs.done = True
            actions.append(Action("end", {"reason": "invalid_answers", "state": sdef.id}))
            return _result(flow, cs, channel, [flow.text("gave_up", lang)], actions, body=False)
        value = UNKNOWN
    return _accept(flow, cs, sdef, value, channel, actions)


def advance_ussd(
    flow: Flow, state: ConversationState | None, raw_text: str, language: str | None = None
) -> StepResult:
    """Handle one USSD request: empty ``raw_text`` (or no state) starts the flow."""
    if state is None or raw_text == "":
        result = start(flow, "ussd", language if state is None else state.language or language)
    else:
        result = step(flow, state, latest_input(state.ussd_raw, raw_text), "ussd")
    result.state.ussd_raw = raw_text
    return result
