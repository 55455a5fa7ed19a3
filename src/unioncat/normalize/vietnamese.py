"""Vietnamese text: repair, NFC, folding, tone placement and match keys.

Pure functions on `str`. Stored text stays as catalogued (NFC, repaired); keys are folded.

Repairs handled by `repair_text`:
- combining marks detached by MARC-8 conversion: a mark standing after a space ("Nha ̀xuất") or on a
  consonant before its vowel ("Nh̀a"), and tone marks placed before the circumflex/breve ("Ché̂");
- text in a legacy 8-bit encoding whose bytes were read as Latin-1: TCVN3 (ABC), VNI, Windows-1258.

Every repair is accepted only when the result reads as Vietnamese syllables and the input did not,
so French, German, Spanish, Portuguese... text is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "nfc",
    "repair_text",
    "fold",
    "normalize_tone",
    "is_vietnamese_syllable",
    "title_key",
    "author_key",
    "normalize_publisher",
    "publisher_key",
    "normalize_place",
    "parse_pages",
    "NormalizedName",
]

# Combining marks used by Vietnamese.
GRAVE, ACUTE, TILDE, HOOK, DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"
TONE_MARKS = frozenset((GRAVE, ACUTE, TILDE, HOOK, DOT))
QUALITY_MARKS = frozenset((CIRCUMFLEX, BREVE, HORN))
VN_MARKS = TONE_MARKS | QUALITY_MARKS
# Tone marks that sort with the quality marks (same canonical combining class 230).
_TONES_230 = frozenset((GRAVE, ACUTE, TILDE, HOOK))

_PLAIN_VOWELS = frozenset("aeiouyAEIOUY")


def nfc(s: str) -> str:
    """Unicode NFC (cheap when the text is already NFC)."""
    if s.isascii() or unicodedata.is_normalized("NFC", s):
        return s
    return unicodedata.normalize("NFC", s)


# ---------------------------------------------------------------------------------------------
# Syllable validation: is a word a plausible Vietnamese syllable?
# ---------------------------------------------------------------------------------------------

_INITIAL = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
# Vowel groups that may be followed by a consonant final (c ch m n ng nh p t) or stand open.
_NUCLEUS_FINAL = (
    "uyê|uâ|uô|ươ|iê|yê|oă|oa|oe|uê|uy|oo|"  # complex nuclei
    "a|ă|â|e|ê|i|y|o|ô|ơ|u|ư"
)
_FINAL = r"(?:ch|ng|nh|c|m|n|p|t)"
# Vowel groups ending in a semivowel (no consonant final allowed).
_OPEN_ONLY = (
    "uyu|uya|oai|oay|oao|oeo|uây|uôi|ươi|ươu|iêu|yêu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ui|ưi|ưa|ưu|ua|ya|uơ"
)
_SYLLABLE_RE = re.compile(rf"{_INITIAL}(?:(?:{_NUCLEUS_FINAL}){_FINAL}?|(?:{_OPEN_ONLY}))")
_STOP_FINALS = ("c", "ch", "p", "t")
_INITIAL_RE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?")
_VOWEL_LETTERS = frozenset("aăâeêioôơuưy")


@lru_cache(maxsize=65536)
def is_vietnamese_syllable(word: str) -> bool:
    """True when `word` (one syllable, any case, any normal form) is a well-formed Vietnamese syllable.

    Checks the initial consonant, the vowel group, the final, at most one tone mark, and that
    syllables ending in c/ch/p/t carry the acute or dot-below tone.
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = []
    tone_at = -1
    bases = -1
    for c in decomposed:
        if c in TONE_MARKS:
            tones.append(c)
            tone_at = bases
        elif not unicodedata.combining(c):
            bases += 1
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    if not _SYLLABLE_RE.fullmatch(base):
        return False
    if tones:
        if base.endswith(_STOP_FINALS) and tones[0] not in (ACUTE, DOT):
            return False  # a syllable ending in c/ch/p/t takes sắc or nặng
        slots = _tone_slots(base)
        if slots is None or tone_at not in slots:
            return False  # the tone sits on a letter no spelling style puts it on
    return True


def with_tone(syllable: str, mark: str | None) -> str | None:
    """A toneless lowercase syllable with the tone `mark` (GRAVE, ACUTE, ...; None: no tone) where the modern
    rule puts it, NFC; None when the result is not a Vietnamese syllable ("kiêu" + GRAVE -> "kiều")."""
    low = unicodedata.normalize("NFC", syllable.lower())
    if mark:
        slots = _tone_slots(low)
        if slots is None:
            return None
        at = slots[0] + 1
        low = unicodedata.normalize("NFC", low[:at] + mark + low[at:])
    return low if is_vietnamese_syllable(low) else None


def _tone_slots(low: str) -> tuple[int, int] | None:
    """Indices in `low` (lowercase, no tone) where the tone goes: (modern style, old style)."""
    m = _INITIAL_RE.match(low)
    start = m.end() if m else 0
    if low.startswith("gi") and start == 1 and len(low) > 2 and low[2] in _VOWEL_LETTERS:
        start = 2
    elif low.startswith("gi") and start == 2 and (len(low) == 2 or low[2] not in _VOWEL_LETTERS):
        start = 1  # "gì", "gìn": the i is the vowel
    end = start
    while end < len(low) and low[end] in _VOWEL_LETTERS:
        end += 1
    vowels = low[start:end]
    if not vowels:
        return None
    has_final = end < len(low)
    quality = [i for i, c in enumerate(vowels) if c in "ăâêôơư"]
    old = None
    if quality:
        pos = quality[-1]
    elif len(vowels) == 1:
        pos = 0
    elif has_final:
        pos = len(vowels) - 1
    elif len(vowels) == 3:
        pos = 1
    elif vowels in ("oa", "oe", "uy"):
        pos, old = 1, 0  # modern: hoà, khoẻ, thuỷ; old: hòa, khỏe, thủy
    else:
        pos = 0
    return start + pos, start + (pos if old is None else old)


# ---------------------------------------------------------------------------------------------
# Combining-mark repair (MARC-8 conversion damage)
# ---------------------------------------------------------------------------------------------

_WORD_SPLIT = re.compile(r"(\s+)")


def _reorder_marks(nfd: str) -> str:
    """Put circumflex/breve/horn before a tone mark on the same base ("é̂" → "ế")."""
    out: list[str] = []
    i, n = 0, len(nfd)
    while i < n:
        ch = nfd[i]
        out.append(ch)
        i += 1
        j = i
        while j < n and unicodedata.combining(nfd[j]):
            j += 1
        if j - i >= 2:
            marks = nfd[i:j]
            if ch in _PLAIN_VOWELS and j - i <= 3 and all(m in VN_MARKS for m in marks):
                quality = [m for m in marks if m in (CIRCUMFLEX, BREVE)]
                tones = [m for m in marks if m in _TONES_230]
                if len(quality) == 1 and len(tones) == 1 and marks.index(tones[0]) < marks.index(quality[0]):
                    # quality mark first, then the tone ("é̂" → "ế")
                    marks = "".join(sorted(marks, key=lambda m: 0 if m in QUALITY_MARKS else 1))
            out.append(marks)
        elif j > i:
            out.append(nfd[i:j])
        i = j
    return "".join(out)


def _letters_only(word: str) -> str:
    return "".join(c for c in word if c.isalpha() or unicodedata.combining(c))


def _valid_word(word_nfd: str) -> bool:
    core = _letters_only(word_nfd)
    return bool(core) and is_vietnamese_syllable(core)


def _repair_marks(text: str) -> str:
    """Reattach Vietnamese combining marks that MARC-8 conversion left on the wrong character."""
    s = _reorder_marks(unicodedata.normalize("NFD", text))
    chars = list(s)
    i = 0
    while i < len(chars):
        c = chars[i]
        if c not in VN_MARKS:
            i += 1
            continue
        # the base is the nearest preceding non-mark character
        b = i - 1
        while b >= 0 and unicodedata.combining(chars[b]):
            b -= 1
        base = chars[b] if b >= 0 else " "
        if b < 0 or base.isspace():
            # "Nha ̀xuất": move the mark back onto the letter before the space
            p = b - 1
            if b >= 0 and p >= 0 and (chars[p] in _PLAIN_VOWELS or unicodedata.combining(chars[p])):
                candidate = chars[:b] + [c] + chars[b:i] + chars[i + 1 :]
                if _word_ok_at(candidate, b - 1):
                    chars = candidate
                    i += 1
                    continue
            # or forward onto the next vowel
            if i + 1 < len(chars) and chars[i + 1] in _PLAIN_VOWELS:
                candidate = chars[:i] + [chars[i + 1], c] + chars[i + 2 :]
                if _word_ok_at(candidate, i):
                    chars = candidate
                    i += 2
                    continue
        elif base.isalpha() and base not in _PLAIN_VOWELS and base.lower() not in "ơư":
            # "Nh̀a": the mark belongs to the following vowel (MARC-8 puts marks before the base)
            k = i + 1
            while k < len(chars) and unicodedata.combining(chars[k]):
                k += 1
            if k < len(chars) and chars[k] in _PLAIN_VOWELS:
                candidate = chars[:i] + chars[i + 1 : k + 1] + [c] + chars[k + 1 :]
                if _word_ok_at(candidate, k - 1):
                    chars = candidate
                    i = k + 1
                    continue
        i += 1
    return _reorder_marks("".join(chars))


def _word_ok_at(chars: list[str], pos: int) -> bool:
    """Is the whitespace-delimited word around `pos` a Vietnamese syllable (marks in order)?"""
    start = pos
    while start > 0 and not chars[start - 1].isspace():
        start -= 1
    end = pos
    while end < len(chars) and not chars[end].isspace():
        end += 1
    word = _reorder_marks("".join(chars[start:end]))
    return _valid_word(word)


# ---------------------------------------------------------------------------------------------
# Legacy 8-bit encodings read as Latin-1
# ---------------------------------------------------------------------------------------------

# TCVN3 (ABC): byte -> letter. Lowercase letters with tones, plus seven capitals.
_TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
_TCVN3_TABLE = {b: ch for b, ch in _TCVN3.items()}
_TCVN3_TABLE[0x2212] = "ư"  # the soft hyphen (ư) is often rendered or retyped as a minus sign

# VNI: an ASCII vowel followed by a mark byte, plus a few single bytes.
_VNI_TONE = {"ø": GRAVE, "ù": ACUTE, "û": HOOK, "õ": TILDE, "ï": DOT}
_VNI_CIRC = {"â": "", "à": GRAVE, "á": ACUTE, "å": HOOK, "ã": TILDE, "ä": DOT}
_VNI_BREVE = {"ê": "", "è": GRAVE, "é": ACUTE, "ú": HOOK, "ü": TILDE, "ë": DOT}
_VNI_SINGLE = {"ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư",
               "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị"}  # fmt: skip


def _build_vni() -> dict[str, str]:
    pairs: dict[str, str] = {}

    def add(base: str, mark_char: str, marks: str) -> None:
        for b, m in ((base, mark_char), (base.upper(), mark_char.upper())):
            pairs[b + m] = unicodedata.normalize("NFC", b + marks)
            # mixed case (lowercase mark byte after a capital) occurs in hand-typed text
            pairs.setdefault(b + mark_char, unicodedata.normalize("NFC", b + marks))

    for v in "aeiouy":
        for m, tone in _VNI_TONE.items():
            if v == "y" and m == "ï":
                continue
            if v == "i":
                continue  # VNI writes i with tones as single bytes
            add(v, m, tone)
    add("y", "î", DOT)
    for v in "aeo":
        for m, tone in _VNI_CIRC.items():
            add(v, m, CIRCUMFLEX + tone)
    for m, tone in _VNI_BREVE.items():
        add("a", m, BREVE + tone)
    for base, horned in (("ô", "ơ"), ("ö", "ư")):
        for m, tone in _VNI_TONE.items():
            add(base, m, "")
            pairs[base + m] = unicodedata.normalize("NFC", horned + tone)
            pairs[base.upper() + m.upper()] = unicodedata.normalize("NFC", horned.upper() + tone)
            pairs[base.upper() + m] = unicodedata.normalize("NFC", horned.upper() + tone)
    return pairs


_VNI_PAIRS = _build_vni()
_VNI_RE = re.compile(
    "|".join(sorted((re.escape(k) for k in _VNI_PAIRS), key=len, reverse=True))
    + "|["
    + "".join(_VNI_SINGLE)
    + "]"
)


def _decode_tcvn3(s: str) -> str:
    return "".join(_TCVN3_TABLE.get(ord(c), c) for c in s)


def _decode_vni(s: str) -> str:
    return _VNI_RE.sub(lambda m: _VNI_PAIRS.get(m.group(0)) or _VNI_SINGLE[m.group(0)], s)


def _decode_cp1258(s: str) -> str:
    try:
        raw = s.encode("latin-1")
    except UnicodeEncodeError:
        try:
            raw = s.encode("cp1252")
        except UnicodeEncodeError:
            return s
    try:
        return unicodedata.normalize("NFC", raw.decode("cp1258"))
    except UnicodeDecodeError:
        return s


_DECODERS = (("TCVN3 (ABC)", _decode_tcvn3), ("VNI", _decode_vni), ("Windows-1258", _decode_cp1258))
_TOKEN_SPLIT = re.compile(r"[\s!-/:-@\[-`{-~]+")  # ASCII whitespace and punctuation only
_LEGACY_GATE = re.compile(r"[\x80-\xff\u2212]")


def _score(words: list[str]) -> tuple[int, int]:
    """(valid, invalid) Vietnamese syllables among non-ASCII words."""
    valid = invalid = 0
    for w in words:
        if not w or w.isascii():
            continue
        if w.isalpha() and is_vietnamese_syllable(w):
            # a lone letter ("ổ", "Ê") is a syllable too, but no evidence of an encoding
            valid += len(w) > 1
        else:
            invalid += 1
    return valid, invalid


def _decode_legacy(s: str) -> tuple[str, str] | None:
    """Best legacy decoding of `s` as (encoding name, text), or None when `s` should stay."""
    orig_valid, orig_invalid = _score(_TOKEN_SPLIT.split(s))
    if orig_invalid == 0:
        return None
    best: tuple[int, str, str] | None = None
    for name, decode in _DECODERS:
        cand = decode(s)
        if cand == s:
            continue
        valid, invalid = _score(_TOKEN_SPLIT.split(cand))
        # the candidate must read as Vietnamese and read better than the input
        if valid == 0 or valid < 3 * invalid or valid <= orig_valid:
            continue
        leftovers = len(_LEGACY_GATE.findall(unicodedata.normalize("NFC", cand)))
        if leftovers > valid:
            continue
        score = valid - 2 * invalid
        if best is None or score > best[0]:
            best = (score, name, cand)
    return None if best is None else (best[1], best[2])


# ---------------------------------------------------------------------------------------------
# repair_text
# ---------------------------------------------------------------------------------------------


def repair_text(s: str) -> tuple[str, list[str]]:
    """Return `s` as repaired NFC text and the list of repairs applied (empty for good text)."""
    if s.isascii():
        return s, []
    text, repairs = _repair_cached(s)
    return text, list(repairs)


def _short(s: str, limit: int = 60) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


@lru_cache(maxsize=16384)
def _repair_cached(s: str) -> tuple[str, tuple[str, ...]]:
    repairs: list[str] = []
    text = s
    if any(unicodedata.combining(c) for c in s):
        fixed = unicodedata.normalize("NFC", _repair_marks(s))
        plain = unicodedata.normalize("NFC", s)
        if fixed != plain:
            repairs.append(f"reattached misplaced diacritics: {_short(plain)!r} → {_short(fixed)!r}")
        text = fixed
    else:
        text = nfc(s)
    if _LEGACY_GATE.search(text) and max(text) <= "\u2212" and _only_latin1ish(text):
        decoded = _decode_legacy(text)
        if decoded is not None:
            name, new = decoded
            repairs.append(f"decoded {name} text read as Latin-1: {_short(text)!r} → {_short(new)!r}")
            text = new
    return text, tuple(repairs)


def _only_latin1ish(s: str) -> bool:
    return all(ord(c) <= 0xFF or c == "\u2212" for c in s)


# ---------------------------------------------------------------------------------------------
# Tone placement and folding
# ---------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def _retone_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1 or not is_vietnamese_syllable(word):
        return word
    tone = tones[0]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c != tone))
    slots = _tone_slots(base.lower())
    if slots is None:
        return word
    idx = slots[0]
    target = unicodedata.normalize("NFD", base[idx]) + tone
    return unicodedata.normalize("NFC", base[:idx] + target + base[idx + 1 :])


def normalize_tone(s: str) -> str:
    """Move tone marks to one placement (the modern rule: on the main vowel, "hoà", "thuỷ").

    Only words that are Vietnamese syllables are touched. Use for keys; stored text stays as catalogued.
    """
    s = nfc(s)
    if s.isascii():
        return s
    return _WORD_RE.sub(lambda m: _retone_word(m.group(0)), s)


_EXTRA_FOLD = str.maketrans(
    {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss",
     "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th", "ı": "i"}  # fmt: skip
)
_MARKS_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(s: str) -> str:
    """Search/match form: NFC, lowercase, no diacritics, đ → d (explicitly; it has no decomposition).

    Tone placement needs no separate step here: once the marks are stripped, "hoà" and "hòa" agree.
    """
    s = s.lower()
    if s.isascii():
        return s
    s = s.translate(_EXTRA_FOLD)
    return unicodedata.normalize("NFC", _MARKS_RE.sub("", unicodedata.normalize("NFD", s)))


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")


def title_key(title: str | None) -> str:
    """Folded title with punctuation removed and whitespace collapsed."""
    if not title:
        return ""
    return _NON_WORD.sub(" ", fold(title)).strip()


_DATES = re.compile(r"\b\d{1,4}\s*\??\s*-\s*(?:\d{1,4}\??)?|\b\d{3,4}\b|\b(?:b|d|fl|ca|sinh|mất)\.", re.I)


def author_key(name: str | None) -> str:
    """Order-independent name key: folded tokens, sorted, dates dropped.

    "Nguyễn Văn A", "Nguyễn, Văn A", "NGUYỄN VĂN A," all give "a nguyen van";
    "Smith, John" and "John Smith" both give "john smith".
    """
    if not name:
        return ""
    s = _DATES.sub(" ", fold(name))
    tokens = [t for t in _NON_WORD.sub(" ", s).split() if not t.isdigit()]
    return " ".join(sorted(tokens))


class NormalizedName(NamedTuple):
    display: str
    key: str


_ISBD_TRAIL = re.compile(r"[\s,;:/=.]+$")
_ISBD_LEAD = re.compile(r"^[\s,;:/=]+")
_PUBLISHER_PREFIX = re.compile(
    r"^\s*(?:nh[aà]\s+xu[aấ]t\s+b[aả]n|nh[aà]\s+xb\.?|n\.?\s*x\.?\s*b\.?|nxb\.?)\s*[:\-–]?\s*",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def _tidy(s: str) -> str:
    s = nfc(s).strip()
    s = s.strip("[]").strip()
    s = _ISBD_TRAIL.sub("", s)
    s = _ISBD_LEAD.sub("", s)
    return _SPACES.sub(" ", s).strip()


def normalize_publisher(s: str | None) -> NormalizedName:
    """One display form and one key for a publisher.

    "Nxb. Kim Đồng", "Nhà xuất bản Kim Đồng", "NXB Kim Đồng", "Nxb.Kim Đồng :" all give
    display "Nxb. Kim Đồng" and key "kim dong".
    """
    if not s:
        return NormalizedName("", "")
    tidy = _tidy(s)
    m = _PUBLISHER_PREFIX.match(tidy)
    if m and m.end() < len(tidy):
        rest = tidy[m.end() :].strip()
        display = f"Nxb. {rest}"
    else:
        rest = tidy
        display = tidy
    return NormalizedName(display, publisher_key(rest) if m else publisher_key(tidy))


def publisher_key(s: str | None) -> str:
    """Folded publisher name without the "Nxb."/"Nhà xuất bản" prefix or punctuation."""
    if not s:
        return ""
    tidy = _tidy(s)
    m = _PUBLISHER_PREFIX.match(tidy)
    if m and m.end() < len(tidy):
        tidy = tidy[m.end() :]
    return _NON_WORD.sub(" ", fold(tidy)).strip()


_HANOI_KEYS = {"h", "ha noi", "hanoi", "tp ha noi", "thanh pho ha noi", "hn"}
_HCMC_KEYS = {
    "tp hcm", "tphcm", "hcm", "tp ho chi minh", "ho chi minh", "thanh pho ho chi minh", "tp hcm city",
    "ho chi minh city", "ho chi minh ville", "ho chi minh thanh pho", "tp ho chi minh city",
}  # fmt: skip
_SINE_LOCO = {"s l", "sl", "k d", "kd", "knxb", "khong ro"}


def normalize_place(s: str | None) -> str | None:
    """Tidy place of publication: "H." → "Hà Nội", "Tp. HCM" → "TP. Hồ Chí Minh"; ISBD punctuation off.

    Returns None for an empty place or "[S.l.]".
    """
    if not s:
        return None
    tidy = _tidy(s)
    key = _NON_WORD.sub(" ", fold(tidy)).strip()
    if not key or key in _SINE_LOCO:
        return None
    if key in _HANOI_KEYS:
        return "Hà Nội"
    if key in _HCMC_KEYS:
        return "TP. Hồ Chí Minh"
    return tidy


_ROMAN_OR_WORD = re.compile(r"\[[^\]]*\]")
_PAGE_UNIT = re.compile(
    r"(\d+)\s*(?:tr\b|tr\.|trang\b|tờ\b|p\b|p\.|pp\b|pp\.|pages?\b|leaves\b|s\.|str\.|c\.)", re.IGNORECASE
)


def parse_pages(extent: str | None) -> int | None:
    """Page count from an extent: "245 tr. ; 21 cm" → 245, "xii, 320 p." → 320, "320 trang" → 320."""
    if not extent:
        return None
    head = extent.split(";")[0]
    head = _ROMAN_OR_WORD.sub(" ", head)
    counts = [int(m.group(1)) for m in _PAGE_UNIT.finditer(head)]
    if not counts:
        # "xii, 320, [8] p.": the unit follows the bracketed plates; take the bare numbers
        if re.search(r"\b(?:p|tr|pp|trang|pages?)\b\.?", extent.split(";")[0], re.IGNORECASE):
            counts = [int(x) for x in re.findall(r"\b(\d+)\b", head)]
    counts = [c for c in counts if 0 < c < 100000]
    return max(counts) if counts else None
