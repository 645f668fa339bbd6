"""Tests for gateway.referrals.agency_words: the agency a TRANSFERT names."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.config import PROJECT_ROOT
from gateway.referrals.agency_words import find_agency, name_keys
from gateway.referrals.directory import load_directory

DEMO = load_directory(PROJECT_ROOT / "examples" / "bamako-directory.yaml")


@pytest.mark.parametrize(
    ("typed", "agency"),
    [
        ("dnpef", "dnpef"),
        ("à la DNPEF", "dnpef"),
        ("Samu Social", "samusocial"),
        ("UNICEF Mali", "unicef"),
        # The French acronym in the directory's name: "agence OIM inconnue".
        ("OIM", "iom"),
        ("vers l'OIM svp", "iom"),
        ("samu social mali", "samusocial"),
        ("dnps", None),  # misspelt: never guessed
        ("mali", None),
    ],
)
def test_the_agency_as_people_write_it(typed: str, agency: str | None) -> None:
    first, _, rest = typed.partition(" ")
    assert find_agency(DEMO, first, rest or None) == agency


def test_name_keys_are_the_forms_of_the_name() -> None:
    assert {"oim", "iom"} <= name_keys("OIM / IOM -- Organisation internationale")
    assert name_keys("Samu Social Mali") == {"samusocialmali"}
    assert name_keys("DNDS (Direction nationale)") == {"dnds", "directionnationale"}


def test_a_name_two_agencies_share_names_neither() -> None:
    alpha, beta = (
        dataclasses.replace(DEMO.agencies[0], id=code, name=f"CP / {code.upper()}")
        for code in ("alpha", "beta")
    )
    directory = dataclasses.replace(DEMO, agencies=(alpha, beta), rules=(), fallback_agency="alpha")
    assert find_agency(directory, "cp", None) is None
    assert find_agency(directory, "BETA", None) == "beta"
    assert find_agency(None, "dnds", None) is None
