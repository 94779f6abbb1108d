"""Token attacks: forged, confused, expired, misused and cross-role tokens are all refused and change nothing.

Forged tokens claim the admin role, the strongest there is, and are sent both to a staff read and
to a staff action that moves points (a card reissue).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

import jwt
import pytest

from mileage.cards.qr import issue_qr_token
from mileage.clock import utc_now
from mileage.people.tokens import ACCESS, REFRESH, TokenSigner
from tests.reliability.bank import ENVELOPE_KEYS
from tests.reliability.conftest import state_fingerprint

WRONG_KEY = "an-attackers-own-key-of-at-least-32-bytes"


# --- forging by hand ------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict, payload: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def _hmac_signed(header: dict, payload: dict, key: bytes, digest=hashlib.sha256) -> str:
    signing_input = _unsigned(header, payload)
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


class AttackerRsaKey:
    """An RSA key pair of the attacker's, in pure Python (RS256 needs no crypto library to forge)."""

    def __init__(self, bits: int = 1024):
        e = 65537
        while True:
            p, q = _prime(bits // 2), _prime(bits // 2)
            phi = (p - 1) * (q - 1)
            if p != q and phi % e:
                break
        self.n, self.e, self.d = p * q, e, pow(e, -1, phi)

    def sign_rs256(self, header: dict, payload: dict) -> str:
        """Sign as RS256 does: PKCS#1 v1.5 over the SHA-256 of the signing input."""
        signing_input = _unsigned(header, payload)
        digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(
            signing_input.encode()
        ).digest()
        size = (self.n.bit_length() + 7) // 8
        encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
        signature = pow(int.from_bytes(encoded, "big"), self.d, self.n).to_bytes(size, "big")
        return f"{signing_input}.{_b64(signature)}"

    def public_pem(self) -> str:
        """Return the public key as a PEM SubjectPublicKeyInfo, what a confused verifier would load."""
        rsa_key = _der(0x30, _der_int(self.n) + _der_int(self.e))
        algorithm = _der(0x30, bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")
        info = _der(0x30, algorithm + _der(0x03, b"\x00" + rsa_key))
        body = base64.encodebytes(info).decode().replace("\n", "")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if _probably_prime(candidate):
            return candidate


def _probably_prime(n: int, rounds: int = 20) -> bool:
    if any(n % p == 0 for p in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


# --- the attacks ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def attacker_key() -> AttackerRsaKey:
    return AttackerRsaKey()


@pytest.fixture
def target(make, app):
    """An admin to impersonate and a card with points whose reissue would move them."""
    admin = make.user(role="admin")
    card = make.card(balance=5_000)
    return admin, card


def _admin_claims(admin, **changes) -> dict:
    now = int(utc_now().timestamp())
    claims = {"sub": f"user:{admin.id}", "role": "admin", "typ": ACCESS, "iat": now, "exp": now + 600,
              "jti": secrets.token_hex(16)}
    claims.update(changes)
    return claims


def _forged_tokens(app, admin, attacker_key: AttackerRsaKey) -> dict[str, str]:
    real_key = app.config["TOKEN_SIGNING_KEY"]
    claims = _admin_claims(admin)
    valid = TokenSigner(real_key).sign(
        {"sub": f"user:{admin.id}", "role": "volunteer"}, token_type=ACCESS, ttl=timedelta(minutes=5)
    )
    header, _payload, signature = valid.split(".")
    tampered_payload = _b64(json.dumps({**jwt.decode(valid, options={"verify_signature": False}),
                                        "role": "admin"}).encode())
    return {
        "alg_none": _unsigned({"alg": "none", "typ": "JWT"}, claims) + ".",
        "alg_none_capitalised": _unsigned({"alg": "None", "typ": "JWT"}, claims) + ".",
        "rs256_signed_by_attacker": attacker_key.sign_rs256({"alg": "RS256", "typ": "JWT"}, claims),
        "hs256_signed_with_a_public_key": _hmac_signed(
            {"alg": "HS256", "typ": "JWT"}, claims, attacker_key.public_pem().encode()
        ),
        "wrong_key": jwt.encode(claims, WRONG_KEY, algorithm="HS256"),
        "tampered_payload": f"{header}.{tampered_payload}.{signature}",
        "expired": jwt.encode(_admin_claims(admin, iat=0, exp=1), real_key, algorithm="HS256"),
        "refresh_type": jwt.encode(_admin_claims(admin, typ=REFRESH), real_key, algorithm="HS256"),
        "qr_type": jwt.encode(_admin_claims(admin, typ="qr"), real_key, algorithm="HS256"),
        "no_expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, real_key, algorithm="HS256"),
        "hs512_with_the_real_key": _hmac_signed(
            {"alg": "HS512", "typ": "JWT"}, claims, real_key.encode(), hashlib.sha512
        ),
        "garbage": "not.a.token",
        "empty_signature": _unsigned({"alg": "HS256", "typ": "JWT"}, claims) + ".",
    }


def _assert_refused(response, statuses=(401,), codes=None) -> dict:
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert set(body) == ENVELOPE_KEYS and body["status"] == response.status_code, body
    if codes is not None:
        assert body["code"] in codes, body
    return body


ATTACKS = [
    "alg_none", "alg_none_capitalised", "rs256_signed_by_attacker", "hs256_signed_with_a_public_key", "wrong_key",
    "tampered_payload", "expired", "refresh_type", "qr_type", "no_expiry", "hs512_with_the_real_key", "garbage",
    "empty_signature",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_forged_admin_token_is_refused_and_moves_nothing(client, app, session, target, attacker_key, attack):
    admin, card = target
    token = _forged_tokens(app, admin, attacker_key)[attack]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"attack-{attack}"}
    before = state_fingerprint(session)

    read = client.get("/admin/volunteers", headers=headers)
    write = client.post(f"/admin/cards/{card.id}/reissue", headers=headers)

    expected = {"token_expired"} if attack == "expired" else {"token_invalid"}
    _assert_refused(read, codes=expected)
    _assert_refused(write, codes=expected)
    assert state_fingerprint(session) == before


def test_a_real_refresh_token_does_not_open_protected_routes(client, session, make):
    make.user(role="staff", username="refresh.attacker", password="correct-horse-battery")
    pair = client.post("/auth/token", json={"username": "refresh.attacker", "password": "correct-horse-battery"})
    assert pair.status_code == 200
    refresh = pair.get_json()["refresh_token"]
    before = state_fingerprint(session)

    response = client.get("/admin/volunteers", headers={"Authorization": f"Bearer {refresh}"})

    _assert_refused(response, codes={"token_invalid"})
    assert state_fingerprint(session) == before


def test_a_real_qr_token_does_not_open_protected_routes(client, app, session, make, login):
    card = make.card(balance=1_000)
    volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id)
    issued = client.get("/me/card/qr", headers=login(volunteer))
    assert issued.status_code == 200
    qr = issued.get_json()["token"]
    # The same as the app signs: proves the refusal is about the token's type, not its signature.
    assert issue_qr_token(app.extensions["mileage.token_signer"], card).token.count(".") == qr.count(".") == 2
    before = state_fingerprint(session)

    for path in ("/me/card", "/me/history"):
        _assert_refused(client.get(path, headers={"Authorization": f"Bearer {qr}"}), codes={"token_invalid"})
    assert state_fingerprint(session) == before


# A token of one role sent to a route of another role: (role, method, path template).
CROSS_ROLE = [
    ("volunteer", "GET", "/admin/volunteers"),
    ("volunteer", "POST", "/admin/cards/{card}/reissue"),
    ("volunteer", "POST", "/merchant/redemptions"),
    ("merchant", "GET", "/me/card"),
    ("merchant", "POST", "/me/donations"),
    ("merchant", "POST", "/admin/claims/{claim}/approve"),
    ("coordinator", "POST", "/admin/claims/{claim}/approve"),
    ("coordinator", "POST", "/admin/cards/{card}/reissue"),
    ("auditor", "POST", "/admin/claims/{claim}/approve"),
    ("auditor", "POST", "/admin/donations"),
    ("staff", "POST", "/merchant/redemptions"),
    ("staff", "GET", "/me/card"),
    ("admin", "POST", "/me/donations"),
]


@pytest.mark.parametrize(("role", "method", "path"), CROSS_ROLE)
def test_a_token_of_one_role_is_refused_on_another_roles_route(client, session, make, login, login_as, role, method,
                                                                path):
    card = make.card(balance=5_000)
    claim = make.claim(volunteer=card.volunteer)
    headers = login(make.merchant_principal()) if role == "merchant" else login_as(role)[1]
    before = state_fingerprint(session)

    response = client.open(
        path.format(card=card.id, claim=claim.id), method=method, json={} if method == "POST" else None,
        headers={**headers, "Idempotency-Key": "cross-role"},
    )

    _assert_refused(response, statuses=(403,), codes={"role_not_allowed"})
    assert state_fingerprint(session) == before


def test_a_shop_terminals_own_token_and_credentials_are_refused_on_staff_routes(client, session, make):
    credentials = make.terminal()
    key = {"key_id": credentials.terminal.key_id, "secret": credentials.secret}
    issued = client.post("/merchant/auth/token", json=key)
    assert issued.status_code == 200
    card = make.card(balance=5_000)
    before = state_fingerprint(session)

    bearer = {"Authorization": f"Bearer {issued.get_json()['access_token']}", "Idempotency-Key": "terminal-on-staff"}
    direct = {"Authorization": f"Terminal {key['key_id']}:{key['secret']}", "Idempotency-Key": "terminal-direct"}
    _assert_refused(client.get("/admin/volunteers", headers=bearer), statuses=(403,), codes={"role_not_allowed"})
    _assert_refused(client.post(f"/admin/cards/{card.id}/reissue", headers=bearer), statuses=(403,))
    # The terminal scheme only means something on the shop API; elsewhere it is no bearer token at all.
    _assert_refused(client.post(f"/admin/cards/{card.id}/reissue", headers=direct), statuses=(401, 403))
    _assert_refused(client.get("/me/card", headers=direct), statuses=(401, 403))
    assert state_fingerprint(session) == before
