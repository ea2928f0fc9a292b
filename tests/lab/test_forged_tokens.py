"""The forged tokens are what their names say: each differs from a good token in that one way."""

import jwt
import pytest

from course_lib.lab.forged_tokens import (
    OTHER_SECRET,
    claims,
    confused_token,
    es256_key_pair,
    forged,
    header_trusting_verify,
    signed,
    tampered,
)
from course_lib.web.tokens import TokenConfig, key_id

CONFIG = TokenConfig(key="a-test-key-of-forty-characters-or-more-0123456789")


def payload_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # decoding the HS512 one below
def test_each_forgery_changes_one_thing():
    tokens = forged(CONFIG, 1)
    assert jwt.get_unverified_header(tokens["alg=none"])["alg"] == "none" and tokens["alg=none"].endswith(".")
    assert payload_of(tokens["tampered payload"])["role"] == "admin"
    assert "exp" not in payload_of(tokens["missing exp"])
    assert payload_of(tokens["wrong audience"])["aud"] == "billing-api"
    assert len(tokens["huge header"]) > 4096
    assert (
        jwt.decode(tokens["HS512 with the server's key"], CONFIG.key, algorithms=["HS512"], audience=CONFIG.audience)[
            "sub"
        ]
        == "1"
    )  # the right key: only the algorithm is wrong
    assert jwt.get_unverified_header(tokens["other secret"])["kid"] == key_id(CONFIG.key)  # the kid copied
    assert jwt.get_unverified_header(tokens["unknown kid"])["kid"] == key_id(OTHER_SECRET)
    signed_ones = set(tokens) - {"not three segments", "not base64", "huge header", "header not an object"}
    assert all(jwt.get_unverified_header(tokens[name]).get("kid") for name in signed_ones)


def test_algorithm_confusion_fools_a_verifier_that_lets_the_header_choose():
    private_pem, public_pem = es256_key_pair()
    genuine = jwt.encode(claims(CONFIG, 1), private_pem, algorithm="ES256")
    attack = confused_token(public_pem, claims(CONFIG, 1, role="admin"))
    assert header_trusting_verify(genuine, public_pem)["role"] == "member"
    assert header_trusting_verify(attack, public_pem)["role"] == "admin"  # forged with public material only
    with pytest.raises(ValueError):
        header_trusting_verify(tampered(genuine, role="admin"), public_pem)


def test_pyjwt_refuses_the_confusion_by_key_shape_and_the_pin_refuses_it_by_algorithm():
    _, public_pem = es256_key_pair()
    attack = confused_token(public_pem, claims(CONFIG, 1))
    header_alg = jwt.get_unverified_header(attack)["alg"]
    with pytest.raises(jwt.InvalidKeyError) as shape:  # not an InvalidTokenError: a server catching only that → 500
        jwt.decode(attack, public_pem, algorithms=[header_alg], audience=CONFIG.audience)
    assert not isinstance(shape.value, jwt.InvalidTokenError)
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(attack, public_pem, algorithms=["ES256"], audience=CONFIG.audience)


def test_tampered_keeps_the_signature():
    good = signed(CONFIG, claims(CONFIG, 1))
    assert tampered(good, role="admin").rsplit(".", 1)[1] == good.rsplit(".", 1)[1]
