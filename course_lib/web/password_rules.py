"""What a chosen password must be (NIST SP 800-63B-4 §3.1.1.2): long enough, and not on a blocklist of passwords that
are commonly used, expected or compromised. No composition rules ("a digit and a symbol"): NIST forbids them.

The blocklist here is small and offline: well-known long passwords and passphrases, plus the shapes every cracking
dictionary tries first (one character repeated, a short run repeated, a keyboard row or an alphabet walked, "password"
plus digits, the service's own name, a few characters padded with blanks). A production service also checks a corpus
of breached passwords, e.g. Have I Been Pwned's Pwned Passwords through its k-anonymity range API, which never sees
the password itself.
"""

from __future__ import annotations

import re
import unicodedata

MIN_LENGTH, MAX_LENGTH = 15, 128  # NIST: at least 15 for a single-factor password; the cap bounds the hashing work
MIN_VISIBLE = 8  # spaces count towards the length, but fifteen blanks (or 'a' and fourteen) are an expected value
SERVICE_WORDS = ("taskapi", "backendcourse", "backendfromfirstprinciples")  # context-specific words (NIST)
KNOWN = frozenset(
    {
        "correcthorsebatterystaple",
        "thequickbrownfoxjumpsoverthelazydog",
        "maytheforcebewithyou",
        "tobeornottobethatisthequestion",
        "iloveyousomuch",
        "iloveyouforever",
        "letmeinletmeinletmein",
        "passwordpassword",
        "administrator123",
        "changeme12345678",
        "welcome123456789",
        "trustno1trustno1",
        "qwertyuiopasdfghjklzxcvbnm",
        "1q2w3e4r5t6y7u8i9o0p",
        "1qaz2wsx3edc4rfv5tgb",
        "zaq12wsxcde34rfv",
        "abcdefghijklmnopqrstuvwxyz",
        "thisismypassword",
        "mypasswordissecure",
        "supersecretpassword",
        "opensesameopensesame",
        "neverforgetthis",
        "hellohellohello",
        "hunter2hunter2hunter2",
    }
)
INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})  # separators, controls and format characters
KEYBOARD_ROWS = (
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
)
_PASSWORD_PLUS = re.compile(r"(?:p[a@]ss(?:w[o0]rd)?|qwerty|letmein|welcome|admin|iloveyou)[\d\W_]*")


def normalize(password: str) -> str:
    """The password as dictionaries compare it: lower case, without spaces."""
    return re.sub(r"\s+", "", password.lower())


def _walks(text: str, sequence: str) -> bool:
    """True when `text` is a run along `sequence` (either way, wrapping around), e.g. '345678901234567'."""
    if len(text) < 4:
        return False
    for direction in (sequence, sequence[::-1]):
        doubled = direction * (len(text) // len(direction) + 2)
        if text in doubled:
            return True
    return False


def _repeats_a_short_unit(text: str) -> bool:
    """True when `text` is one piece of at most 8 characters said again and again ('abcabcabc', 'aaaa')."""
    return any(
        len(text) % size == 0 and text == text[:size] * (len(text) // size) and len(text) // size >= 2
        for size in range(1, 9)
    )


def visible_characters(password: str) -> int:
    """How many characters of `password` show: not spaces, not control or format characters (U+200B, U+FEFF)."""
    return sum(1 for char in password if unicodedata.category(char) not in INVISIBLE)


def blocklist_reason(password: str) -> str | None:
    """Why `password` is one an attacker tries first, or None when it is none of those."""
    text = normalize(password)
    if visible_characters(password) < MIN_VISIBLE:
        return f"it has fewer than {MIN_VISIBLE} characters that are not blank or invisible"
    if text in KNOWN:
        return "it is a well-known password or passphrase"
    if _repeats_a_short_unit(text):
        return "it repeats a short piece"
    if any(_walks(text, sequence) for sequence in ("0123456789", "abcdefghijklmnopqrstuvwxyz", *KEYBOARD_ROWS)):
        return "it is a run along the keyboard or the alphabet"
    if _PASSWORD_PLUS.fullmatch(text):
        return "it is a common word followed by digits or symbols"
    if any(word in text for word in SERVICE_WORDS):
        return "it contains this service's own name"
    return None
