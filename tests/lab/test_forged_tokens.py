"""The forged tokens are what their names say: each differs from a good token in that one way."""

import jwt

from course_lib.lab.forged_tokens import claims, forged, hs256_by_hand, public_key_pem, signed, tampered
from course_lib.web.tokens import TokenConfig

CONFIG = TokenConfig(key="a-test-key-of-forty-characters-or-more-0123456789")


def test_each_forgery_changes_one_thing():
    tokens = forged(CONFIG, 1)
    assert jwt.get_unverified_header(tokens["alg=none"])["alg"] == "none" and tokens["alg=none"].endswith(".")
    assert jwt.decode(tokens["tampered payload"], options={"verify_signature": False})["role"] == "admin"
    assert "exp" not in jwt.decode(tokens["missing exp"], options={"verify_signature": False})
    assert jwt.decode(tokens["wrong audience"], options={"verify_signature": False})["aud"] == "billing-api"
    assert len(tokens["huge header"]) > 4096


def test_the_confused_token_verifies_under_the_public_key_as_an_hmac_secret():
    pem = public_key_pem()
    token = hs256_by_hand({"alg": "HS256", "typ": "JWT"}, claims(CONFIG, 1), pem)
    naive = jwt.api_jws.PyJWS(algorithms=["HS256"])  # PyJWT refuses a PEM as HMAC key: check the HMAC by hand
    signing_input, signature = token.rsplit(".", 1)
    assert naive._algorithms["HS256"].verify(signing_input.encode(), pem, jwt.utils.base64url_decode(signature))


def test_tampered_keeps_the_signature():
    good = signed(CONFIG, claims(CONFIG, 1))
    assert tampered(good, role="admin").rsplit(".", 1)[1] == good.rsplit(".", 1)[1]
