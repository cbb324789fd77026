"""The customer's language, French or English, from what a thread's messages show of it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from inbox_audit.core.names import is_upper_word, wordset
from inbox_audit.core.phrases import CACHE_SIZE
from inbox_audit.core.printable import clean_text
from inbox_audit.core.threads import strip_subject
from inbox_audit.model import Address, Message

#: The languages a holding reply can be written in.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr")

_FRENCH_WORDS = wordset(
    """
    devis commande commandes bonjour bonsoir demande demandes facture factures livraison merci
    rendez-vous rdv votre vos notre nos nous vous pour avec sur les des une du au aux mon ma mes
    chez dans pas tarif tarifs renseignement renseignements réservation annulation
    remboursement paiement règlement relance disponibilité atelier samedi dimanche
    """
)
_ENGLISH_WORDS = wordset(
    """
    hello hi dear quote order orders invoice delivery about your the and for with request
    booking appointment thanks thank please payment refund regarding my our is are of to from
    """
)
# Words of running text that tell the two languages apart (function words and greetings);
# neither list holds a word the other language also writes.
_FRENCH_TEXT_WORDS = wordset(
    """
    bonjour bonsoir madame monsieur merci je j'ai vous nous est suis sommes êtes avez avons
    pour avec dans les des une pas mais que qui quel quelle cette ces votre vos notre nos
    serait pourriez pourrais voudrais aimerais souhaite souhaiterais très bien aussi encore
    depuis chez sur leur été fait faire être avoir possible merci cordialement bonne journée
    """
)
_ENGLISH_TEXT_WORDS = wordset(
    """
    hello hi dear thanks thank you we the and for with is are was were have has would could
    should please your our this that these those there their what which when will can not
    just about from been any some kind regards best wishes sincerely morning afternoon
    """
)
_FRENCH_ACCENTS = frozenset("éèêëàâçùûîïôœÉÈÊËÀÂÇÙÛÎÏÔŒ")
_FRENCH_ELISION = re.compile(r"(?<![^\W\d_])(?:l|d|j|qu|n|c|s|m|t)['’][^\W\d_]", re.IGNORECASE)
_FRENCH_TITLES = wordset("m mme mlle monsieur madame mademoiselle")
_ENGLISH_TITLES = wordset("mr mrs ms miss")
# French-speaking top-level domains: France, its overseas departments and territories, Monaco,
# and French-language regional domains.
_FRENCH_TLDS = wordset("fr re gp mq gf yt pm nc pf wf tf mc bzh paris alsace corsica quebec")
# Multilingual countries: a hint only when something else already points to French.
_PARTLY_FRENCH_TLDS = wordset("be ch ca lu")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
#: A net score at or above this picks French, at or below its opposite English; in between
#: the signs are too weak, and the owner's own language is written.
FRENCH_THRESHOLD = 2
#: Points of the language a Content-Language or Accept-Language header names: the mail
#: client's language, which a customer may not have chosen (an English Outlook in France).
HEADER_POINTS = 4
#: Most points the opening words of one message can give: they outweigh its subject, not
#: every other sign.
TEXT_POINTS = 6


@dataclass(frozen=True, slots=True)
class LanguageSigns:
    """What a thread's customer messages say of their language, besides the thread's subject
    and correspondent, oldest first: their Content-Language / Accept-Language values, their
    subjects, and the opening words of their text (Message.text_start)."""

    tags: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


NO_SIGNS = LanguageSigns()


def language_signs(messages: Iterable[Message]) -> LanguageSigns:
    """The LanguageSigns of a thread's customer messages."""
    kept = list(messages)
    return LanguageSigns(
        tuple([tag for m in kept for tag in m.language_hints]),
        tuple(dict.fromkeys(m.subject for m in kept if m.subject)),
        tuple([m.text_start for m in kept if m.text_start]),
    )


def language_evidence(
    subject: str, correspondent: Address, signs: LanguageSigns = NO_SIGNS
) -> list[tuple[int, str]]:
    """Points for French (positive) and English (negative), each with why: easy to explain.

    Subject words: ±2 each (distinct); accented French letters or an elision (d'…, l'…) in the
    subject: +1 each; accents in the display name: +1; a French/English title: ±2; a surname in
    capitals first ("DUPONT Marie"): +1; the first language header of the thread: ±4; the
    opening words of each message: ±1 a distinct telling word, +1 for accents, +1 for an
    elision, at most ±6 a message; the subjects of the thread's other messages as the
    subject; a French domain (.fr…): +2; .be/.ch/.ca/.lu: +1, but only when something else
    already points to French.
    """
    evidence = [*_subject_evidence(subject), *_name_evidence(correspondent.name)]
    tagged = _language_from_hints(signs.tags)
    if tagged is not None:
        points = HEADER_POINTS if tagged == "fr" else -HEADER_POINTS
        evidence.append((points, f"Content-Language/Accept-Language {tagged}"))
    for other in signs.subjects:
        if strip_subject(clean_text(other)) != strip_subject(clean_text(subject)):
            evidence += [(p, f"{why} (earlier message)") for p, why in _subject_evidence(other)]
    evidence += [item for text in signs.texts for item in _text_evidence(text)]
    tld = correspondent.email.rpartition(".")[2].lower() if "@" in correspondent.email else ""
    if tld in _FRENCH_TLDS:
        evidence.append((2, f"French domain .{tld}"))
    elif tld in _PARTLY_FRENCH_TLDS and any(points > 0 for points, _ in evidence):
        evidence.append((1, f"partly French-speaking domain .{tld}"))
    return evidence


@lru_cache(maxsize=CACHE_SIZE)
def _subject_evidence(subject: str) -> tuple[tuple[int, str], ...]:
    evidence: list[tuple[int, str]] = []
    text = strip_subject(clean_text(subject))
    words = {w.lower() for w in _WORD.findall(text)}
    evidence += [(2, f"French word {w!r} in the subject") for w in sorted(words & _FRENCH_WORDS)]
    evidence += [(-2, f"English word {w!r} in the subject") for w in sorted(words & _ENGLISH_WORDS)]
    if not _FRENCH_ACCENTS.isdisjoint(text):
        evidence.append((1, "French accents in the subject"))
    if _FRENCH_ELISION.search(text):
        evidence.append((1, "French elision (d'…, l'…) in the subject"))
    return tuple(evidence)


def _text_evidence(text: str) -> tuple[tuple[int, str], ...]:
    words = {w.lower().replace("’", "'") for w in _WORD.findall(text)}
    french = len(words & _FRENCH_TEXT_WORDS)
    french += (not _FRENCH_ACCENTS.isdisjoint(text)) + bool(_FRENCH_ELISION.search(text))
    english = len(words & _ENGLISH_TEXT_WORDS)
    points = max(-TEXT_POINTS, min(TEXT_POINTS, french - english))
    if not points:
        return ()
    return ((points, f"{french} French and {english} English signs in the text"),)


@lru_cache(maxsize=CACHE_SIZE)
def _name_evidence(display_name: str) -> tuple[tuple[int, str], ...]:
    evidence: list[tuple[int, str]] = []
    name = clean_text(display_name)
    if not _FRENCH_ACCENTS.isdisjoint(name):
        evidence.append((1, "French accents in the name"))
    name_tokens = name.split()
    title = name_tokens[0].lower().rstrip(".") if name_tokens else ""
    if title in _FRENCH_TITLES:
        evidence.append((2, f"French title {name_tokens[0]!r}"))
    elif title in _ENGLISH_TITLES:
        evidence.append((-2, f"English title {name_tokens[0]!r}"))
    elif (
        len(name_tokens) >= 2
        and is_upper_word(name_tokens[0])
        and not all(is_upper_word(t) for t in name_tokens)
    ):
        evidence.append((1, "surname in capitals first, as in France"))
    return tuple(evidence)


_LANGUAGE_TAG = re.compile(r"^([a-z]{2,3})(?:-[a-z0-9]{1,8})*$")


def _language_from_hints(language_hints: Sequence[str]) -> str | None:
    """The first language tag of Content-Language / Accept-Language: 'fr', 'en' or None."""
    for hint in language_hints:
        for item in hint.split(","):
            tag = item.partition(";")[0].strip().lower()
            match = _LANGUAGE_TAG.match(tag)
            if match:
                # We only write French and English; any other language reads English better.
                return "fr" if match.group(1) == "fr" else "en"
    return None


def detect_language(
    *, subject: str, correspondent: Address, signs: LanguageSigns = NO_SIGNS, fallback: str = "en"
) -> str:
    """'fr' or 'en' as language_evidence() weighs every sign; `fallback` (the owner's own
    language) when they are too weak to tell."""
    score = sum(points for points, _ in language_evidence(subject, correspondent, signs))
    if score >= FRENCH_THRESHOLD:
        return "fr"
    if score <= -FRENCH_THRESHOLD:
        return "en"
    return normalise_language(fallback)


def normalise_language(lang: str) -> str:
    primary = lang.strip().lower().replace("_", "-").partition("-")[0]
    if primary not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}: use one of {SUPPORTED_LANGUAGES}")
    return primary
