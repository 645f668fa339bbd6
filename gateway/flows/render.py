"""Render questions for each channel: SMS messages and USSD screens.

SMS: one question per message, the numbered menu under the prompt, folded to
GSM-7 with :func:`gateway.encoding.gsm7_fold` and kept to one segment.
USSD: one screen per step within :data:`USSD_LIMIT` characters *including*
the ``CON ``/``END `` prefix; long menus are split into pages ending with
``0 <more>`` (``0 Suite`` / ``0 More`` / ``0 Nataw``); option numbers stay the
same on every page. Texts are folded for USSD too (phones show GSM-7 best).
"""

from __future__ import annotations

import re

from gateway.encoding import fits, gsm7_fold
from gateway.flows.answers import menu_options
from gateway.flows.model import Flow, StateDef, StepResult

USSD_LIMIT = 182
USSD_PREFIX_LEN = 4  # "CON " / "END "
USSD_BODY = USSD_LIMIT - USSD_PREFIX_LEN
SMS_SEGMENTS = 1
PAGE_KEY = "0"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, **values: object) -> str:
    """Replace ``{name}`` placeholders present in ``values``; leave others as they are."""
    return _PLACEHOLDER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template
    )


def option_lines(flow: Flow, state: StateDef, language: str) -> list[str]:
    """Return the numbered menu lines (``"1 Fille(s)"``) of ``state`` in ``language``."""
    return [
        f"{index} {option.label.get(language) or option.label[flow.default_language]}"
        for index, option in enumerate(menu_options(flow, state), start=1)
    ]


def prompt_text(flow: Flow, state: StateDef, language: str) -> str:
    """Return the prompt of ``state`` in ``language`` (default language as fallback)."""
    return state.prompt.get(language) or state.prompt[flow.default_language]


def hint_text(flow: Flow, state: StateDef, language: str) -> str:
    """Return the short hint repeated with a question after an invalid answer."""
    if state.hint:
        return state.hint.get(language) or state.hint[flow.default_language]
    if state.type == "number":
        return fill(flow.text("invalid_number", language), min=state.minimum, max=state.maximum)
    if state.type == "text":
        return flow.text("invalid_text", language)
    return fill(flow.text("invalid_choice", language), max=len(menu_options(flow, state)))


def fit_sms(text: str) -> str:
    """Fold ``text`` to GSM-7 and cut it (with ``...``) if it exceeds one segment."""
    folded = gsm7_fold(text)
    if fits(folded, SMS_SEGMENTS, fold=False):
        return folded
    low, high = 0, len(folded)
    while low < high:  # longest prefix that fits with "..."
        mid = (low + high + 1) // 2
        if fits(folded[:mid].rstrip() + "...", SMS_SEGMENTS, fold=False):
            low = mid
        else:
            high = mid - 1
    return folded[:low].rstrip() + "..."


def fit_ussd(text: str) -> str:
    """Fold ``text`` and cut it to the USSD body budget (limit minus prefix)."""
    folded = gsm7_fold(text)
    if len(folded) <= USSD_BODY:
        return folded
    return folded[: USSD_BODY - 3].rstrip() + "..."


def sms_question(flow: Flow, state: StateDef, language: str) -> str:
    """Return the whole question as one SMS text (prompt then menu), unfolded."""
    return "\n".join([prompt_text(flow, state, language), *option_lines(flow, state, language)])


def ussd_pages(flow: Flow, state: StateDef, language: str) -> list[str]:
    """Split the question into USSD screen bodies; every page but a lone one has ``0 More``."""
    prompt = prompt_text(flow, state, language)
    lines = option_lines(flow, state, language)
    if not lines:
        return [prompt]
    more = f"{PAGE_KEY} {flow.text('more', language)}"

    def size(parts: list[str]) -> int:
        return len(gsm7_fold("\n".join(parts)))

    if size([prompt, *lines]) <= USSD_BODY:
        return ["\n".join([prompt, *lines])]
    pages: list[str] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and size([prompt, *chunk, line, more]) > USSD_BODY:
            pages.append("\n".join([prompt, *chunk, more]))
            chunk = []
        chunk.append(line)
    pages.append("\n".join([prompt, *chunk, more]))
    return pages


def ussd_screen(notices: list[str], body: str) -> str:
    """Put ``notices`` (hint, help) above ``body`` when they fit.

    When they do not, the body's first line (the prompt, which the notice
    replaces well enough) is dropped before the notices are.
    """
    menu = body.split("\n", 1)[1] if "\n" in body else None
    for start in range(len(notices) + 1):
        kept = notices[start:]
        for candidate in (body, menu) if kept else (body,):
            if candidate is None:
                continue
            text = gsm7_fold("\n".join([*kept, candidate]))
            if len(text) <= USSD_BODY:
                return text
    return fit_ussd(body)


def sms_messages(notices: list[str], body: str | None) -> list[str]:
    """Build SMS messages: notices, then the body; the last notice joins the body if it fits."""
    messages = [n for n in notices if n]
    if body is not None:
        if messages and fits(messages[-1] + "\n" + body, SMS_SEGMENTS):
            messages[-1] = messages[-1] + "\n" + body
        else:
            messages.append(body)
    return [fit_sms(m) for m in messages]


def ussd_response(result: StepResult) -> str:
    """Return the USSD answer body: ``CON <screen>`` while going on, ``END <screen>`` at the end."""
    screen = "\n".join(result.replies)
    return ("END " if result.done else "CON ") + screen


def fill_reference(replies: list[str], reference: str) -> list[str]:
    """Fill the ``{reference}`` placeholder of final replies with the alert reference."""
    return [fill(reply, reference=reference) for reply in replies]
