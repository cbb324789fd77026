"""The correspondent's first name for a greeting, from the display name or else the address."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from inbox_audit.core.phrases import CACHE_SIZE
from inbox_audit.core.printable import clean_text
from inbox_audit.model import Address


def wordset(words: str) -> frozenset[str]:
    """A set from space-separated words: long vocabularies read better as prose."""
    return frozenset(words.split())


_TITLES = wordset(
    "m mm mme mmes mlle mlles me maître monsieur madame mademoiselle dr docteur doctor pr prof "
    "professeur mr mrs ms miss mx sir dame herr frau rev sr sra"
)
_SUFFIXES = wordset("jr sr ii iii iv phd md mba msc esq")
# Words that make a display name a company, a team or a role rather than a person.
_NOT_A_PERSON = wordset(
    """
    sarl sas sasu sa eurl sci snc scop selarl gmbh ag ltd llc inc corp co plc bv nv srl spa
    team équipe equipe service services support info infos information contact sales admin
    office client clients customer customers shop boutique store magasin hotel hôtel restaurant
    mairie cabinet agence société societe company group groupe association asso noreply
    no-reply donotreply facturation billing accounts accounting comptabilité compta
    secrétariat secretariat accueil rh hr marketing news newsletter notifications notification
    direction commercial commerciale orders commandes livraison delivery helpdesk hotline
    the les of
    """
)
# Lower-case particles of surnames ("Marie de la Fontaine"); never a first name ("La Poste").
_PARTICLES = wordset("de du des la le van von der den di da del dos")
_COUPLE = frozenset({"&", "+", "and", "et", "und"})  # "Marie et Paul Dupont": greet both, unnamed
_ROLE_LOCAL_PARTS = _NOT_A_PERSON | wordset(
    "hello bonjour mail email web www no ne do postmaster mailer-daemon webmaster"
)
# "Marie Dupont | ACME", "Marie Dupont - ACME", "Marie Dupont via LinkedIn": the person first.
_NAME_SEPARATORS = re.compile(r"\s+(?:[|/–—-]|via)\s+", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NAME_TOKEN = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-])*$")
_LOCAL_PART = re.compile(r"^([^\W\d_]{2,}(?:-[^\W\d_]{2,})?)[._]([^\W\d_]{2,})\d*$")


def is_upper_word(token: str) -> bool:
    """A word in capitals, as French usage writes surnames: "DUPONT" (not initials, "J.-P.")."""
    letters = [ch for ch in token if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters) and "." not in token


def _capitalize(name: str) -> str:
    """'MARIE' / 'marie' → 'Marie', 'JEAN-PIERRE' → 'Jean-Pierre'; 'McKenzie' is left alone."""
    if name.isupper() or name.islower():
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), name)
    return name


def _word(token: str) -> str:
    """A token for vocabulary look-ups: 'Dr.' → 'dr', 'SARL,' → 'sarl'."""
    return token.lower().strip(".,")


def _words(tokens: Sequence[str]) -> list[str]:
    return [_word(t) for t in tokens]


def _first_name_from_tokens(tokens: list[str]) -> str | None:
    """The first name among the words of a personal name, or None."""
    titled = False
    while tokens and _word(tokens[0]) in _TITLES:
        titled, tokens = True, tokens[1:]
    while tokens and _word(tokens[-1]) in _SUFFIXES:
        tokens = tokens[:-1]
    if not tokens or not all(_NAME_TOKEN.match(t) for t in tokens):
        return None
    if len(tokens) == 1:
        # "Mme Durand", "Dr. Smith": a title and a surname. "DUPONT", "ACME": capitals alone
        # are a surname in French usage, or a brand. "Hello," is never wrong.
        if titled or is_upper_word(tokens[0]):
            return None
        candidate = tokens[0]
    elif is_upper_word(tokens[0]) and not all(is_upper_word(t) for t in tokens):
        # French habit: surname in capitals first, "DUPONT Marie", "DE LA FONTAINE Jean".
        candidate = next(t for t in tokens if not is_upper_word(t))
    else:
        candidate = tokens[0]
    candidate = candidate.strip("'’-")
    letters = candidate.replace(".", "").replace("-", "")
    if len(letters) < 2 or "." in candidate:  # initials: "J. Smith", "J.-P. Martin"
        return None
    if candidate.lower() in _PARTICLES:  # "La Poste", "de Gaulle"
        return None
    return _capitalize(candidate)


def _is_person(tokens: Sequence[str]) -> bool:
    words = _words(tokens)
    return bool(words) and not any(w in _NOT_A_PERSON or w in _COUPLE for w in words)


def _first_name_from_local_part(email: str) -> str | None:
    """'marie.dupont@…' → 'Marie'; only local parts shaped like first.last or first_last."""
    local = email.partition("@")[0].partition("+")[0].lower()
    match = _LOCAL_PART.match(local)
    if not match or match.group(1) in _ROLE_LOCAL_PARTS or match.group(2) in _ROLE_LOCAL_PARTS:
        return None
    return _capitalize(match.group(1))


def first_name(correspondent: Address) -> str | None:
    """The correspondent's first name for a greeting, or None when it cannot be told safely."""
    told, name = _first_name_in(correspondent.name)
    return name if told else _first_name_from_local_part(correspondent.email)


# Display names repeat (one customer, several conversations): remember the recent ones.
@lru_cache(maxsize=CACHE_SIZE)
def _first_name_in(display_name: str) -> tuple[bool, str | None]:
    """(True, first name or None) as the display name tells; (False, None) when it holds no
    word at all, so that the address is read instead."""
    name = clean_text(display_name).strip("\"'“”«» ")
    if "@" in name:  # the display name is an address: "marie.dupont@example.fr"
        return True, _first_name_from_local_part(name)
    name = _PARENTHESES.sub(" ", name)
    name = _NAME_SEPARATORS.split(name, maxsplit=1)[0]
    # Drop decorations without letters (emoji, dashes); a token with digits is no name.
    tokens = [t for t in name.split() if any(ch.isalpha() for ch in t) or t in _COUPLE]
    if not tokens:
        return False, None
    return True, _first_name_from_words(tokens)


def _first_name_from_words(tokens: list[str]) -> str | None:
    """The first name in the words of a display name, or None."""
    left, comma, right = " ".join(tokens).partition(",")
    if comma:
        right_tokens = right.replace(",", " ").split()
        if (
            "," not in right
            and _is_person(right_tokens)
            and not all(w in _SUFFIXES for w in _words(right_tokens))
        ):
            # "Dupont, Marie": surname first (Outlook's "Last, First"), first name after it.
            return _first_name_from_tokens(right_tokens) if _is_person(left.split()) else None
        # "Marie Dupont, ACME SARL", "John Smith, PhD": the person is on the left.
    left_tokens = left.split()
    if not _is_person(left_tokens):  # "ACME SARL", "Service client", "Marie et Paul"
        return None
    return _first_name_from_tokens(left_tokens)
