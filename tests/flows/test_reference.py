"""Alert references: six characters, no look-alikes, reproducible with an rng."""

from __future__ import annotations

import random

from gateway.flows.reference import ALPHABET, LENGTH, is_reference, new_reference


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("01OI") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 32


def test_default_references_use_the_alphabet() -> None:
    refs = {new_reference() for _ in range(2000)}
    assert len(refs) > 1990  # random, not constant
    for ref in refs:
        assert len(ref) == LENGTH == 6
        assert set(ref) <= set(ALPHABET)
        assert is_reference(ref)
    assert set("".join(refs)) == set(ALPHABET)  # every character can appear


def test_reference_is_pure_given_an_rng() -> None:
    assert new_reference(random.Random(7)) == new_reference(random.Random(7))
    assert new_reference(random.Random(7)) != new_reference(random.Random(8))


def test_is_reference_rejects_look_alikes() -> None:
    assert is_reference(" k7m2qp ")
    assert not is_reference("K7M2Q0")
    assert not is_reference("K7M2QPX")
