from course_lib.web.passwords import hash_password, verify_password


def test_hash_is_salted_argon2_and_verifies():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second and "correct horse" not in first
    assert verify_password("correct horse", first) and not verify_password("wrong horse", first)


def test_empty_or_broken_hash_never_matches():
    assert not verify_password("x", "") and not verify_password("x", "$argon2id$garbage")
