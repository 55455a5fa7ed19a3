"""What a reader typed without a Vietnamese input method, as the Vietnamese it stands for (pure).

Three ways of typing Vietnamese on a plain keyboard leave their keys in the text when the input method is off:

    Telex  "truyeenj kieeuf" -> "truyện kiều"   aa â, aw ă, ee ê, oo ô, ow ơ, uw ư, dd đ; tone last: s f r x j
    VNI    "lich su73"       -> "lich sử"       6 ^, 7 horn, 8 breve, 9 đ; tones 1 2 3 4 5
    VIQR   "tie^'ng vie^.t"  -> "tiếng việt"     ^ ( + and dd; tones ' ` ? ~ .

`to_vietnamese(word)` reads one word each way and keeps a reading only when it is a well-formed Vietnamese
syllable; `interpret(text, known)` decides per word, with the index's vocabulary (`known`: folded words in
it): a word the catalogue holds as typed ("law", "down", "co2") is never rewritten; an unknown word is read as
Vietnamese when the catalogue holds the reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from unioncat.normalize.vietnamese import ACUTE, DOT, GRAVE, HOOK, TILDE, fold, with_tone

_TELEX_TONES = {"s": ACUTE, "f": GRAVE, "r": HOOK, "x": TILDE, "j": DOT}
_VNI_TONES = {"1": ACUTE, "2": GRAVE, "3": HOOK, "4": TILDE, "5": DOT}
_VIQR_TONES = {"'": ACUTE, "`": GRAVE, "?": HOOK, "~": TILDE, ".": DOT}
_TELEX_LETTERS = (("uow", "ươ"), ("dd", "đ"), ("aa", "â"), ("ee", "ê"), ("oo", "ô"), ("aw", "ă"), ("ow", "ơ"),
                  ("uw", "ư"))
_VNI_SHAPES = {"6": {"a": "â", "e": "ê", "o": "ô"}, "7": {"o": "ơ", "u": "ư"}, "8": {"a": "ă"}, "9": {"d": "đ"}}
_VIQR_SHAPES = (("a^", "â"), ("e^", "ê"), ("o^", "ô"), ("a(", "ă"), ("o+", "ơ"), ("u+", "ư"), ("dd", "đ"))
_EDGES = "\"“”,;:()[]!"


def _telex(word: str) -> str | None:
    if not word.isalpha() or not word.isascii():
        return None
    tone = None
    if len(word) > 1 and word[-1] in _TELEX_TONES:
        tone, word = _TELEX_TONES[word[-1]], word[:-1]
    shaped = word
    for keys, letter in _TELEX_LETTERS:
        shaped = shaped.replace(keys, letter)
    while "w" in shaped:  # a "w" typed later in the word: "nguoiwf" -> người, "thuwj" -> thự
        at = shaped.index("w")
        before = shaped[:at]
        hooks = [i for i, c in enumerate(before) if c in "aou"]
        if not hooks:
            return None
        i = hooks[-1]
        if before[i] == "o" and i and before[i - 1] == "u":
            before = before[:i - 1] + "ươ" + before[i + 1:]
        else:
            before = before[:i] + {"a": "ă", "o": "ơ", "u": "ư"}[before[i]] + before[i + 1:]
        shaped = before + shaped[at + 1:]
    if tone is None and shaped == word:
        return None
    return with_tone(shaped, tone)


def _vni(word: str) -> str | None:
    if not re.fullmatch(r"[a-z][a-z1-9]*", word) or not re.search(r"[1-9]", word):
        return None
    letters: list[str] = []
    tone = None
    for ch in word:
        if ch in _VNI_TONES:
            tone = _VNI_TONES[ch]
        elif ch in _VNI_SHAPES:
            shapes = _VNI_SHAPES[ch]
            hits = [i for i, c in enumerate(letters) if c in shapes]
            if not hits:
                return None
            if ch == "7" and len(hits) >= 2 and "".join(letters[hits[-2]:hits[-1] + 1]) == "uo":
                letters[hits[-2]] = "ư"  # "uo7": ươ
            letters[hits[-1]] = shapes[letters[hits[-1]]]
        else:
            letters.append(ch)
    return with_tone("".join(letters), tone)


def _viqr(word: str) -> str | None:
    if not re.search(r"[\^(+'`?~.]|dd", word) or not re.fullmatch(r"[a-z\^(+'`?~.]+", word):
        return None
    shaped = word
    for keys, letter in _VIQR_SHAPES:
        shaped = shaped.replace(keys, letter)
    tones = [c for c in shaped if c in _VIQR_TONES]
    if len(tones) > 1:
        return None
    base = "".join(c for c in shaped if c not in _VIQR_TONES)
    if not base.isalpha() or (not tones and base == word):
        return None
    return with_tone(base, _VIQR_TONES[tones[0]] if tones else None)


def to_vietnamese(word: str) -> str | None:
    """The Vietnamese syllable a word typed with Telex, VNI or VIQR keys stands for, or None."""
    low = word.lower()
    for reading in (_viqr, _vni, _telex):
        syllable = reading(low)
        if syllable and syllable != low:
            return syllable
    return None


def interpret(text: str, known: Callable[[Iterable[str]], set[str]]) -> str:
    """The query with every word typed through an input method's keys written as Vietnamese.

    `known(folded_words)` says which of those folded words the catalogue holds. A word is rewritten when its
    reading is in the catalogue and either the word as typed is not, or its keys are unmistakable ("kieeuf").
    Field prefixes ("title:") and quotes are kept.
    """
    tokens = text.split(" ")
    readings: dict[int, tuple[str, str, str, str]] = {}  # position -> (head, word, reading, tail)
    for i, token in enumerate(tokens):
        m = re.fullmatch(r"([-+]?(?:[A-Za-z]+:)?[" + re.escape(_EDGES) + r"]*)(.+?)([" + re.escape(_EDGES) + r"]*)",
                         token)
        if not m or token in ("AND", "OR", "NOT") or len(m.group(2)) < 3:
            continue  # operators, and words too short to tell ("as", "is" are not "á", "í")
        reading = to_vietnamese(m.group(2))
        if reading:
            readings[i] = (m.group(1), m.group(2), reading, m.group(3))
    if not readings:
        return text
    found = known({fold(r[2]) for r in readings.values()} | {fold(r[1]) for r in readings.values()})
    for i, (head, word, reading, tail) in readings.items():
        if fold(reading) in found and fold(word) not in found:  # "kieeuf" is no word; "kiều" is
            tokens[i] = head + reading + tail
    return " ".join(tokens)
