"""Production secrets: every usual way of generating a key is accepted, a short or patterned one is refused."""

from __future__ import annotations

import base64
import secrets
import string

import pytest

from mileage.config import ConfigurationError, check_production_secret

GENERATORS = {
    "openssl rand -hex 16": lambda: secrets.token_hex(16),
    "openssl rand -hex 32": lambda: secrets.token_hex(32),
    "openssl rand -base64 24": lambda: base64.b64encode(secrets.token_bytes(24)).decode(),
    "secrets.token_urlsafe(24)": lambda: secrets.token_urlsafe(24),
    "secrets.token_urlsafe(48)": lambda: secrets.token_urlsafe(48),
    "upper-case hex": lambda: secrets.token_hex(16).upper(),
    "base32": lambda: base64.b32encode(secrets.token_bytes(20)).decode(),
    "32 letters and digits": lambda: "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)),
}


@pytest.mark.parametrize("generator", GENERATORS.values(), ids=GENERATORS.keys())
def test_every_usual_generator_gives_an_accepted_key(generator):
    for _ in range(500):
        check_production_secret("SECRET_KEY", generator())


@pytest.mark.parametrize("secret", [
    # `openssl rand -hex 16` keys (each exactly 128 bits) that an earlier estimate refused: a random key
    # of 32 characters repeats six or eight of them now and then by chance (3 in 200,000 here).
    "64460CA4700D189F64460CCE1E5EBA6A",
    "e521484f4a8755ebc6c6c6c63ceef1ee",
    "8fc921faa0bdff8b0ef8b0ef3fdf5348",
    "9386F351BA7D702BF24E921320202020",
])
def test_a_random_key_that_repeats_a_few_characters_by_chance_is_accepted(secret):
    check_production_secret("SECRET_KEY", secret)


@pytest.mark.parametrize("secret", [
    "a" * 44,
    "kimchi12" * 4,
    "0123456789abcdef" * 2,
    "abcdefghijklmnopqrstuvwxyz012345",
    "9876543210" * 4,
    "Tr0ub4dor&3" * 3,
    "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpP",
])
def test_a_patterned_key_is_not_random_enough(secret):
    with pytest.raises(ConfigurationError, match="^SECRET_KEY is not random enough for production; generate one"):
        check_production_secret("SECRET_KEY", secret)


def test_a_short_key_says_how_long_it_must_be():
    with pytest.raises(ConfigurationError, match=r"too short for production \(31 characters, at least 32\)"):
        check_production_secret("SECRET_KEY", secrets.token_hex(16)[:31])


@pytest.mark.parametrize("secret", [
    "Qm3v9-Xr7TzLp2Wd8Yk4Hs6Nc1Bf5Gj0UaPe",
    "production-secret-key-0123456789abcdef",
    "this-is-a-long-and-random-enough-production-key-42",
])
def test_a_key_an_earlier_release_accepted_still_starts(secret):
    check_production_secret("TOKEN_SIGNING_KEY", secret)
