"""The guide's password policy and the hashing parameters (no broker, no database)."""
import pytest
from argon2 import extract_parameters

from services.accounts import passwords


@pytest.mark.parametrize("password, unmet", [
    ("Abcdef1", ["8 caractères minimum"]),
    ("abcdefg1", ["au moins 1 majuscule"]),
    ("ABCDEFG1", ["au moins 1 minuscule"]),
    ("Abcdefgh", ["au moins 1 caractère numérique"]),
    ("abc", ["8 caractères minimum", "au moins 1 majuscule", "au moins 1 caractère numérique"]),
    ("", ["8 caractères minimum", "au moins 1 majuscule", "au moins 1 minuscule",
          "au moins 1 caractère numérique"]),
])
def test_each_unmet_rule_is_named_in_french(password, unmet):
    errors = passwords.policy_errors(password)
    assert len(errors) == len(unmet)
    for rule, message in zip(unmet, errors):
        assert rule in message


def test_a_password_meeting_every_rule_is_accepted():
    assert passwords.policy_errors("Bonbons2015") == []
    assert passwords.policy_errors("Élève2026x") == []


def test_hashes_are_argon2id_at_least_at_owasp_minimum():
    hashed = passwords.hash_password("Bonbons2015")
    params = extract_parameters(hashed)
    assert params.type.name == "ID"
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1
    assert passwords.verify_password(hashed, "Bonbons2015")
    assert not passwords.verify_password(hashed, "Bonbons2016")
    assert not passwords.verify_password("not a hash", "Bonbons2015")


def test_issued_passwords_meet_the_policy():
    for _ in range(50):
        assert passwords.policy_errors(passwords.generate_initial_password()) == []
