"""Data types of the flow engine: flow definitions and conversation state.

Definitions (:class:`Flow`, :class:`StateDef`, :class:`Option`...) are built
once by :mod:`gateway.flows.loader` from YAML files and never change.
:class:`ConversationState` is the small, JSON-able record of where one person
stands in one flow; :func:`gateway.flows.engine.step` returns a new one at
every message and the caller stores it (Redis, database) between messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Channel = Literal["sms", "ussd"]
CHANNELS: tuple[Channel, ...] = ("sms", "ussd")
AnswerValue = str | int
Texts = dict[str, str]  # language code -> text

UNKNOWN = "unknown"
ANSWER_TYPES = ("choice", "number", "yesno", "text", "place")


@dataclass(frozen=True)
class Option:
    """One numbered choice: stored ``value``, menu ``label`` and matching synonyms."""

    value: str
    label: Texts
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: tuple[int, int] | None = None  # a typed number in this range picks it


@dataclass(frozen=True)
class Guard:
    """A declarative condition: on the current answer or on a saved field."""

    answer: str | None = None
    field: str | None = None
    equals: str | None = None
    one_of: tuple[str, ...] = ()

    def matches(self, answer: AnswerValue | None, answers: dict[str, AnswerValue]) -> bool:
        """Return True when the guard holds for ``answer`` and the saved ``answers``."""
        if self.answer is not None and str(answer) != self.answer:
            return False
        if self.field is not None:
            value = answers.get(self.field)
            if self.equals is not None and str(value) != self.equals:
                return False
            if self.one_of and str(value) not in self.one_of:
                return False
        return True


@dataclass(frozen=True)
class ActionDef:
    """A named action in a flow file (``save``, ``set``, ``set_language``...)."""

    name: str
    arg: Any = None


@dataclass(frozen=True)
class Transition:
    """Go to ``goto`` when ``when`` holds (always when ``when`` is None)."""

    goto: str
    when: Guard | None = None
    actions: tuple[ActionDef, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class StateDef:
    """One state of a flow: a question, or a final state when ``type`` is None."""

    id: str
    prompt: Texts
    type: str | None = None
    options: tuple[Option, ...] = ()
    required: bool = False
    skippable: bool = False
    unsure: bool = False
    places: str | None = None  # place group shown as the menu of a place question
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 300
    units: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hint: Texts | None = None
    actions: tuple[ActionDef, ...] = ()
    transitions: tuple[Transition, ...] = ()
    line: int = 0

    @property
    def final(self) -> bool:
        """True for a final state (no question, the conversation ends there)."""
        return self.type is None


@dataclass(frozen=True)
class Place:
    """A place people can name: a code, a display name and spellings."""

    code: str
    name: str
    group: str
    synonyms: tuple[str, ...] = ()
    labels: Texts = field(default_factory=dict)

    def label(self, language: str) -> str:
        """Return the name to show in ``language``."""
        return self.labels.get(language, self.name)


@dataclass(frozen=True)
class Lexicon:
    """Shared words: yes/no options, number words, skip words and keywords."""

    yesno: dict[str, Option]
    numbers: dict[str, int]
    connectors: frozenset[str]
    skip: frozenset[str]
    keywords: dict[str, frozenset[str]]


@dataclass(frozen=True)
class Flow:
    """A loaded, validated flow definition with its places and lexicon."""

    name: str
    path: str
    languages: tuple[str, ...]
    unvalidated_languages: tuple[str, ...]
    default_language: str
    start: str
    language_state: str | None
    max_retries: int
    texts: dict[str, Texts]
    states: dict[str, StateDef]
    places: tuple[Place, ...]
    lexicon: Lexicon

    def text(self, key: str, language: str, **values: object) -> str:
        """Return the flow text ``key`` in ``language`` with ``{placeholders}`` filled."""
        template = self.texts[key].get(language) or self.texts[key][self.default_language]
        return template.format(**values) if values else template

    def place_group(self, group: str) -> tuple[Place, ...]:
        """Return the places of ``group`` in file order."""
        return tuple(p for p in self.places if p.group == group)

    def place(self, code: str) -> Place | None:
        """Return the place with ``code``, or None."""
        return next((p for p in self.places if p.code == code), None)


@dataclass
class ConversationState:
    """Where one person stands in one flow; JSON-able with to_dict/from_dict."""

    flow: str
    state: str
    channel: str
    language: str | None = None
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    retries: int = 0
    page: int = 0
    done: bool = False
    ussd_raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "flow": self.flow,
            "state": self.state,
            "channel": self.channel,
            "language": self.language,
            "answers": dict(self.answers),
            "retries": self.retries,
            "page": self.page,
            "done": self.done,
            "ussd_raw": self.ussd_raw,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        """Rebuild a state from :meth:`to_dict` output."""
        return cls(
            flow=str(data["flow"]),
            state=str(data["state"]),
            channel=str(data.get("channel", "sms")),
            language=data.get("language"),
            answers=dict(data.get("answers", {})),
            retries=int(data.get("retries", 0)),
            page=int(data.get("page", 0)),
            done=bool(data.get("done", False)),
            ussd_raw=str(data.get("ussd_raw", "")),
        )


@dataclass(frozen=True)
class Action:
    """Something the caller must do: ``name`` plus a JSON-able ``payload``."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step: texts to send, the new state, actions, whether it ended."""

    replies: list[str]
    state: ConversationState
    actions: list[Action]
    done: bool
