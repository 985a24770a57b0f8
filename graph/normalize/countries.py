"""Countries: a registry's country name or code read into ISO 3166-1 alpha-2, exactly (nothing is
guessed), and the names of a code."""

from __future__ import annotations

from functools import lru_cache

import pycountry

#: Country names that registries write and ISO 3166 does not: ClinicalTrials.gov's location
#: spellings ("Turkey (Türkiye)", "Korea, Republic of"), older official names, and the parts of
#: the United Kingdom.  Documented in docs/registry-values.md; a name neither here nor in ISO 3166
#: (alpha-2, alpha-3, numeric code, name, official or common name, any case) is unknown.
_COUNTRY_ALIASES = {
    "scotland": "GB",
    "england": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "uk": "GB",
    "great britain": "GB",
    "czech republic": "CZ",
    "korea, republic of": "KR",
    "korea, south": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "turkey": "TR",
    "turkey (türkiye)": "TR",
    "iran": "IR",
    "taiwan": "TW",
    "vietnam": "VN",
    "former serbia and montenegro": "RS",
    "macedonia": "MK",
    "macedonia, the former yugoslav republic of": "MK",
    "the netherlands": "NL",
    "holland": "NL",
    "usa": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "hong kong": "HK",
    "macau": "MO",
    "palestine": "PS",
    "palestinian territories, occupied": "PS",
    "palestinian territory, occupied": "PS",
    "congo, the democratic republic of the": "CD",
    "libyan arab jamahiriya": "LY",
    "cape verde": "CV",
    "swaziland": "SZ",
    "east timor": "TL",
    "burma": "MM",
    "virgin islands (u.s.)": "VI",
    "virgin islands (british)": "VG",
}


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country code or name, or ``None`` when unknown.

    Exact only: an ISO 3166-1 code or name in any case, or one of :data:`_COUNTRY_ALIASES`.
    Nothing is guessed (a typo such as ``XX`` is unknown, never the nearest country)."""
    if not name:
        return None
    text = " ".join(str(name).split())
    if not text:
        return None
    alias = _COUNTRY_ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def country_info(alpha2: str) -> tuple[str, str, str] | None:
    """(name, alpha-3, numeric) for a known alpha-2 code."""
    c = pycountry.countries.get(alpha_2=alpha2.upper())
    if c is None:
        return None
    return str(getattr(c, "common_name", None) or c.name), str(c.alpha_3), str(c.numeric)


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Every ISO 3166-1 name (short, official, common) and alias, case-folded, -> alpha-2."""
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                out[str(name).casefold()] = str(c.alpha_2)
    out.update(_COUNTRY_ALIASES)
    return out


#: The longest country name, in words ("United Kingdom of Great Britain and Northern Ireland").
_MAX_COUNTRY_WORDS = 8


def countries_in(text: str | None) -> tuple[list[str], list[str]]:
    """(alpha-2 codes, words not understood) of country names run together with spaces, as the
    EU Clinical Trials Register lists them ("Bulgaria Canada Korea, Republic of United States").
    The longest name that fits wins at each point, so "United Kingdom" is not "United" + ...;
    only exact names count (no fuzzy matching), so nothing is guessed."""
    words = (text or "").split()
    names = _country_names()
    codes: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _MAX_COUNTRY_WORDS), i, -1):
            code = names.get(" ".join(words[i:j]).casefold())
            if code:
                if code not in codes:
                    codes.append(code)
                i = j
                break
        else:
            unknown.append(words[i])
            i += 1
    return codes, unknown
