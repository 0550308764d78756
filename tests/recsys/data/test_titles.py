"""Display titles against a table of real MovieLens titles."""

from __future__ import annotations

import pytest

from recsys.data.titles import clean_title, display_title

TITLES = [
    ("Shawshank Redemption, The (1994)", "The Shawshank Redemption", 1994),
    ("Toy Story (1995)", "Toy Story", 1995),
    (
        "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
        "The City of Lost Children (La Cité des enfants perdus)",
        1995,
    ),
    ("Argent, L' (1983)", "L'Argent", 1983),
    ("Few Good Men, A (1992)", "A Few Good Men", 1992),
    ("Occurrence at Owl Creek Bridge, An (1962)", "An Occurrence at Owl Creek Bridge", 1962),
    ("Misérables, Les (1995)", "Les Misérables", 1995),
    ("Postino, Il (1994)", "Il Postino", 1994),
    ("Blue Angel, The (Blaue Engel, Der) (1930)", "The Blue Angel (Der Blaue Engel)", 1930),
    ("Tin Drum, The (Blechtrommel, Die) (1979)", "The Tin Drum (Die Blechtrommel)", 1979),
    ("Boot, Das (Boat, The) (1981)", "Das Boot (The Boat)", 1981),
    (
        "Seventh Seal, The (Sjunde inseglet, Det) (1957)",
        "The Seventh Seal (Det Sjunde inseglet)",
        1957,
    ),
    ("Laberinto del fauno, El (2006)", "El Laberinto del fauno", 2006),
    ("Olvidados, Los (1950)", "Los Olvidados", 1950),
    ("Good, the Bad and the Ugly, The (1966)", "The Good, the Bad and the Ugly", 1966),
    (
        "Lord of the Rings: The Two Towers, The (2002)",
        "The Lord of the Rings: The Two Towers",
        2002,
    ),
    ("Seven (a.k.a. Se7en) (1995)", "Seven (a.k.a. Se7en)", 1995),
    (
        "Nosferatu (Nosferatu, eine Symphonie des Grauens) (1922)",
        "Nosferatu (Nosferatu, eine Symphonie des Grauens)",
        1922,
    ),
    ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009),
    ("Me, Myself and I (2000)", "Me, Myself and I", 2000),
    ("1984 (1984)", "1984", 1984),
    ("Babylon 5", "Babylon 5", None),
    ("Sherlock - A Study in Pink (2010) ", "Sherlock - A Study in Pink", 2010),
    ("Stranger Things (2016–)", "Stranger Things", 2016),
    ("Band of Brothers (2001–2001)", "Band of Brothers", 2001),
    ("Tales of the City (2007-)", "Tales of the City", 2007),
    ("Life on Mars (2006–2007)", "Life on Mars", 2006),
    ("Toy Story   ", "Toy Story", None),
    ("unknown", "Unknown", None),
    ("", "Unknown", None),
]


@pytest.mark.parametrize(("raw", "title", "year"), TITLES)
def test_clean_title(raw: str, title: str, year: int | None) -> None:
    assert clean_title(raw) == (title, year)


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Toy Story", "Toy Story"),
        ("Usual Suspects, The", "The Usual Suspects"),
        (
            "Double vie de Véronique, La (Double Life of Veronique, The)",
            "La Double vie de Véronique (The Double Life of Veronique)",
        ),
        ("Hate (Haine, La)", "Hate (La Haine)"),
        ("unkonwn", "Unknown"),  # RecBole's spelling of ML-100k item 267
    ],
)
def test_display_title_for_titles_without_a_year(raw: str, title: str) -> None:
    assert display_title(raw) == title
