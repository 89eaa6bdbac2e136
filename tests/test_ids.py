from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from toolkit.ids import (
    make_resident_id,
    mobile_valid,
    resident_id_birth_date,
    resident_id_gender,
    resident_id_valid,
    uscc_valid,
)

VALID = ["11010519491231002X", "440524188001010014", "440524188001015368", "53010219200508011X"]


def test_rules_md_vectors():
    assert all(resident_id_valid(v) for v in VALID)
    assert not resident_id_valid("110105194912310021")


def test_uscc_vector():
    assert uscc_valid("91350100M000100Y43")
    assert not uscc_valid("91350100M000100Y44")
    assert not uscc_valid("91350100M000100I43")  # I is not in the alphabet


def test_id_birth_and_gender():
    assert resident_id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert resident_id_gender("11010519491231002X") == "女"
    assert resident_id_gender("440524188001010014") == "男"
    assert resident_id_birth_date("110105194913310021") is None


@given(st.sampled_from(["110105", "320583", "440524"]),
       st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)),
       st.integers(0, 999))
def test_made_ids_round_trip(region, born, seq):
    value = make_resident_id(region, born, seq)
    assert resident_id_valid(value)
    assert resident_id_birth_date(value) == born
    assert resident_id_gender(value) == ("男" if seq % 2 else "女")


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_one_changed_character_is_caught(value):
    if not resident_id_valid(value):
        return
    position = 5
    changed = value[:position] + str((int(value[position]) + 1) % 10) + value[position + 1:]
    assert not resident_id_valid(changed)


def test_mobile():
    assert mobile_valid("13812345678")
    assert not mobile_valid("1381234567")
    assert not mobile_valid("12812345678")
