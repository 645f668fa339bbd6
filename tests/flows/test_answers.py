"""What people actually type, and the value the engine must read from it."""

from __future__ import annotations

import pytest

from gateway.flows.answers import parse_answer
from gateway.flows.model import Flow

TYPED = [
    # (state, typed text, expected value)
    ("sex", "2", "boy"),
    ("sex", " 2 ", "boy"),
    ("sex", "deux", "boy"),
    ("sex", "Fille", "girl"),
    ("sex", "c'est une fille", "girl"),
    ("sex", "2 filles", "girl"),
    ("sex", "FILLE!!", "girl"),
    ("sex", "garçon", "boy"),
    ("sex", "GARCONS", "boy"),
    ("sex", "boys", "boy"),
    ("sex", "dencɛ", "boy"),
    ("sex", "dence", "boy"),
    ("sex", "les deux", "both"),
    ("sex", "une fille et un garçon", None),  # not a listed phrase: ambiguous
    ("sex", "fille et garçon", "both"),
    # words of two options: the digits count children, they are no menu entry
    ("sex", "2 filles et 1 garçon", None),  # was "boy" (menu entry 2)
    ("sex", "1 fille 1 garçon", None),  # was "girl" (menu entry 1)
    ("sex", "les 2", "both"),  # was "boy"
    ("sex", "je ne sais pas", "unknown"),
    ("sex", "F", "girl"),
    ("sex", "f.", "girl"),
    ("sex", "", None),
    ("sex", "🙂", None),
    ("where", "Commune 5", "ML-BKO-C5"),
    ("where", "c5", "ML-BKO-C5"),
    ("where", "C5", "ML-BKO-C5"),
    ("where", "CINQ", "ML-BKO-C5"),
    ("where", "commune V", "ML-BKO-C5"),
    ("where", "CV", "ML-BKO-C5"),
    ("where", "commune cinq", "ML-BKO-C5"),
    ("where", "1", "ML-BKO-C1"),
    ("where", "7", "other"),
    ("where", "autre région", "other"),
    ("where", "Ségou", "ML-4"),  # a region named at the Bamako menu
    ("where", "a Segou", "ML-4"),
    ("where", "8", None),
    # a Bamako quartier instead of its commune number (was not understood)
    ("where", "Kalaban Coura", "ML-BKO-C5"),
    ("where", "Badalabougou", "ML-BKO-C5"),
    ("where", "Sébénikoro", "ML-BKO-C4"),
    ("where", "à Magnambougou près du marché", "ML-BKO-C6"),
    ("where", "Kalaban", None),  # Kalaban Coro is in Koulikoro region
    ("where", "Djicoroni", None),  # Djicoroni Para (IV) or Baco Djicoroni (V)
    ("region", "segou", "ML-4"),
    ("region", "SÉGOU", "ML-4"),
    ("region", "Timbuktu", "ML-6"),
    ("region", "10", "ML-10"),
    ("region", "Menaka", "ML-10"),
    ("region", "dix", "ML-10"),
    ("region", "commune 2", "ML-BKO-C2"),
    ("danger", "oui", "yes"),
    ("danger", "Oui!", "yes"),
    ("danger", "Awo", "yes"),
    ("danger", "awɔ", "yes"),
    ("danger", "o", "yes"),
    ("danger", "yes", "yes"),
    ("danger", "1", "yes"),
    ("danger", "ayi", "no"),
    ("danger", "nn", "no"),
    ("danger", "NON", "no"),
    ("danger", "2", "no"),
    ("danger", "je ne sais pas", "unsure"),
    ("danger", "not sure", "unsure"),
    ("danger", "3", "unsure"),
    ("danger", "peut-être", "unsure"),
    ("danger", "4", None),
    ("consent", "3", None),  # no "not sure" option on the consent question
    ("consent", "n", "no"),
    ("count", "3", 3),
    ("count", "environ 3 enfants", 3),
    ("count", "trois", 3),
    ("count", "Trois enfants", 3),
    ("count", "three", 3),
    ("count", "vingt et un", 21),
    ("count", "une dizaine", 10),  # "une" is an article here, not 1 + 10
    ("count", "environ une vingtaine d'enfants", 20),
    ("count", "a dozen children", 12),
    ("count", "une", 1),
    ("count", "quatre-vingt-dix-neuf", 99),
    ("count", "soixante-dix-sept", 77),
    ("count", "tan ni fila", 12),
    ("count", "saba", 3),
    ("count", "0", None),
    ("count", "100", None),
    ("count", "beaucoup", None),
    ("count", "une fille et un garçon", 2),  # was 1: two counted groups add up
    ("count", "2 garçons et 3 filles", 5),
    ("count", "1 fille 1 garçon", 2),
    ("count", "2 garçons de 8 ans", 2),  # an age, not a second group
    ("count", "3 ou 4", 3),
    ("count", "2 enfants 8 ans", 2),
    ("count", "vingt et un", 21),
    ("age", "1", "0-4"),
    ("age", "3", "12-14"),  # a bare menu number is the menu entry
    ("age", "3 ans", "0-4"),  # with a unit it is an age
    ("age", "12", "12-14"),  # out of the menu range: an age
    ("age", "16 years old", "15-17"),
    ("age", "bébé", "0-4"),
    ("age", "25", None),
    ("age", "6 mois", "0-4"),  # was "5-11": months are no years
    ("age", "18 months", "0-4"),
    ("age", "ado", "15-17"),
    ("danger", "wi", "yes"),
    ("danger", "no not now", "no"),
    ("updates", "no thanks", "no"),
    ("concern", "abus", "abuse"),
    ("concern", "il est battu", "abuse"),
    ("concern", "enfant des rues", "street"),
    ("concern", "Enfant seul", "separated"),
    ("concern", "trafficking", "exploitation"),
    ("concern", "xyz", None),
    ("concern", "mal traité", "abuse"),  # was "exploitation" ("traite": trafficking)
    ("concern", "enfant abandonné", "separated"),
    ("concern", "orphelin", "separated"),
    ("concern", "un talibé qui mendie", "exploitation"),
    ("concern", "mariage forcé", "abuse"),
    ("concern", "il dort dehors", "street"),
    ("language", "bambara", "bm"),
    ("language", "English", "en"),
    ("language", "2", "bm"),
    ("landmark", "  près du   marché ", "près du marché"),
    ("landmark", "0", ""),
    ("landmark", "", None),
    ("extra", "non", ""),
    ("extra", "ayi", ""),
    ("extra", "rien", ""),
    ("extra", "il pleure", "il pleure"),
]


@pytest.mark.parametrize(("state", "typed", "expected"), TYPED)
def test_what_people_type(alert: Flow, state: str, typed: str, expected: object) -> None:
    assert parse_answer(alert, alert.states[state], typed) == expected


def test_free_text_is_cut_to_max_length(alert: Flow) -> None:
    value = parse_answer(alert, alert.states["extra"], "mot " * 500)
    assert isinstance(value, str)
    assert len(value) == alert.states["extra"].max_length
