"""Display titles from MovieLens ones: ``"Shawshank Redemption, The (1994)"`` becomes
``("The Shawshank Redemption", 1994)``.

MovieLens files titles the way a library card index does, with the leading article moved to
the end, and puts the year (or a span of years for series) in trailing parentheses.
"""

from __future__ import annotations

import re

# Leading articles MovieLens moves behind a comma, by language. Matched case-sensitively and
# only as the whole last comma-separated part, so "Me, Myself and I" is left alone.
ARTICLES: tuple[str, ...] = (
    *("The", "A", "An"),  # English
    *("Le", "La", "Les", "L'", "L’", "Un", "Une"),  # French
    *("Il", "Lo", "Gli", "I", "Uno", "Una", "Un'"),  # Italian (La, Le, L' above)
    *("El", "Los", "Las"),  # Spanish
    *("O", "Os", "As", "Um", "Uma"),  # Portuguese (A above)
    *("Der", "Die", "Das", "Dem", "Den", "Ein", "Eine"),  # German
    *("Det", "En", "Ett"),  # Scandinavian (Den above)
    *("De", "Het", "'t"),  # Dutch
)

UNKNOWN_TITLE = "Unknown"

# "(1995)", "(2006–2007)", "(2007-)": the year a film came out, or the first year of a series.
_YEAR = re.compile(r"\s*\((\d{4})\s*(?:[-–—]\s*(?:\d{4})?\s*)?\)\s*$")
_TRAILING_GROUP = re.compile(r"\s*\(([^()]*)\)$")
_ARTICLE = re.compile(
    r"^(?P<body>.+),\s*(?P<article>" + "|".join(re.escape(a) for a in ARTICLES) + r")$"
)
_AKA = re.compile(r"^(a\.k\.a\.|aka)\s+", re.IGNORECASE)
# ML-100k item 267 is titled "unknown"; RecBole's copy spells it "unkonwn".
_UNKNOWN = frozenset({"unknown", "unkonwn"})


def clean_title(raw: str) -> tuple[str, int | None]:
    """Split a MovieLens title into a display title and its year (None when it has none)."""
    text = raw.strip()
    year = None
    if (match := _YEAR.search(text)) is not None and match.start() > 0:
        year = int(match.group(1))
        text = text[: match.start()]
    return display_title(text), year


def display_title(raw: str) -> str:
    """Put moved articles back in front, in the title and in each trailing alternative title.

    ``"City of Lost Children, The (Cité des enfants perdus, La)"`` becomes
    ``"The City of Lost Children (La Cité des enfants perdus)"``. The year must already be
    gone (RecBole keeps it in its own column).
    """
    text = " ".join(raw.split())
    if not text or text.lower() in _UNKNOWN:
        return UNKNOWN_TITLE
    alternatives: list[str] = []
    while (match := _TRAILING_GROUP.search(text)) is not None and match.start() > 0:
        alternatives.append(match.group(1).strip())
        text = text[: match.start()]
    parts = [_front_article(text)]
    parts.extend(f"({_front_alternative(alt)})" for alt in reversed(alternatives))
    return " ".join(parts)


def _front_article(text: str) -> str:
    match = _ARTICLE.match(text)
    if match is None:
        return text
    article, body = match.group("article"), match.group("body")
    # Elided articles join the word: "Argent, L'" is "L'Argent", not "L' Argent".
    joiner = "" if article.endswith(("'", "’")) else " "
    return f"{article}{joiner}{body}"


def _front_alternative(text: str) -> str:
    if (match := _AKA.match(text)) is not None:
        return match.group(0) + _front_article(text[match.end() :])
    return _front_article(text)
