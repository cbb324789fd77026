"""Write the holding reply for a waiting customer: who, in which language, answered by when."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import lru_cache

from inbox_audit.core.templates import SORRY, fill
from inbox_audit.core.threads import strip_subject
from inbox_audit.core.worktime import WorkTimeError, add_business, day_intervals, is_open
from inbox_audit.model import Address, HoldingReply, Message
from inbox_audit.settings import WorkCalendar

#: The languages a holding reply can be written in.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr")


def _wordset(words: str) -> frozenset[str]:
    """A set from space-separated words: long vocabularies read better as prose."""
    return frozenset(words.split())


# --- Base subject ---------------------------------------------------------------------------

# Bidirectional overrides can make a subject display as something it is not.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


# A terminal acts on escape sequences in what it prints (ECMA-48): CSI "ESC [ ... final" (or
# its 8-bit form 0x9B) clears the screen or recolours it, OSC "ESC ] ... BEL or ESC \\" sets
# the window title or a hyperlink, and a lone ESC starts others. Mail can carry any of them.
_ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)


def printable(text: str) -> str:
    """`text` safe to print, its line breaks kept: escape sequences removed, other control
    characters (but line feeds and tabs) as spaces, bidirectional overrides removed."""
    if text.isprintable():  # no control character (Cc) nor bidi override (Cf): the usual case
        return text
    text = _ESCAPE_SEQUENCES.sub("", text.translate(_BIDI_CONTROLS))
    return "".join(
        " " if ch not in "\n\t" and unicodedata.category(ch) == "Cc" else ch for ch in text
    )


def clean_text(text: str) -> str:
    """One line of plain text: `printable`, its line breaks and runs of spaces one space."""
    return " ".join(printable(text).split())


def shorten(text: str, limit: int = 60) -> str:
    """Cut `text` to at most `limit` characters, at a word boundary when one is near, with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


# --- First name -----------------------------------------------------------------------------

_TITLES = _wordset(
    "m mm mme mmes mlle mlles me maître monsieur madame mademoiselle dr docteur doctor pr prof "
    "professeur mr mrs ms miss mx sir dame herr frau rev sr sra"
)
_SUFFIXES = _wordset("jr sr ii iii iv phd md mba msc esq")
# Words that make a display name a company, a team or a role rather than a person.
_NOT_A_PERSON = _wordset(
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
_PARTICLES = _wordset("de du des la le van von der den di da del dos")
_COUPLE = frozenset({"&", "+", "and", "et", "und"})  # "Marie et Paul Dupont": greet both, unnamed
_ROLE_LOCAL_PARTS = _NOT_A_PERSON | _wordset(
    "hello bonjour mail email web www no ne do postmaster mailer-daemon webmaster"
)
# "Marie Dupont | ACME", "Marie Dupont - ACME", "Marie Dupont via LinkedIn": the person first.
_NAME_SEPARATORS = re.compile(r"\s+(?:[|/–—-]|via)\s+", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NAME_TOKEN = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-])*$")
_LOCAL_PART = re.compile(r"^([^\W\d_]{2,}(?:-[^\W\d_]{2,})?)[._]([^\W\d_]{2,})\d*$")


def _is_upper_word(token: str) -> bool:
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
        if titled or _is_upper_word(tokens[0]):
            return None
        candidate = tokens[0]
    elif _is_upper_word(tokens[0]) and not all(_is_upper_word(t) for t in tokens):
        # French habit: surname in capitals first, "DUPONT Marie", "DE LA FONTAINE Jean".
        candidate = next(t for t in tokens if not _is_upper_word(t))
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


# Display names repeat (one customer, several conversations): the pure helpers of language and
# name marked with lru_cache remember this many recent ones.
_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=_CACHE_SIZE)
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


# --- Language -------------------------------------------------------------------------------

_FRENCH_WORDS = _wordset(
    """
    devis commande commandes bonjour bonsoir demande demandes facture factures livraison merci
    rendez-vous rdv votre vos notre nos nous vous pour avec sur les des une du au aux mon ma mes
    chez dans pas tarif tarifs renseignement renseignements réservation annulation
    remboursement paiement règlement relance disponibilité atelier samedi dimanche
    """
)
_ENGLISH_WORDS = _wordset(
    """
    hello hi dear quote order orders invoice delivery about your the and for with request
    booking appointment thanks thank please payment refund regarding my our is are of to from
    """
)
# Words of running text that tell the two languages apart (function words and greetings);
# neither list holds a word the other language also writes.
_FRENCH_TEXT_WORDS = _wordset(
    """
    bonjour bonsoir madame monsieur merci je j'ai vous nous est suis sommes êtes avez avons
    pour avec dans les des une pas mais que qui quel quelle cette ces votre vos notre nos
    serait pourriez pourrais voudrais aimerais souhaite souhaiterais très bien aussi encore
    depuis chez sur leur été fait faire être avoir possible merci cordialement bonne journée
    """
)
_ENGLISH_TEXT_WORDS = _wordset(
    """
    hello hi dear thanks thank you we the and for with is are was were have has would could
    should please your our this that these those there their what which when will can not
    just about from been any some kind regards best wishes sincerely morning afternoon
    """
)
_FRENCH_ACCENTS = frozenset("éèêëàâçùûîïôœÉÈÊËÀÂÇÙÛÎÏÔŒ")
_FRENCH_ELISION = re.compile(r"(?<![^\W\d_])(?:l|d|j|qu|n|c|s|m|t)['’][^\W\d_]", re.IGNORECASE)
_FRENCH_TITLES = _wordset("m mme mlle monsieur madame mademoiselle")
_ENGLISH_TITLES = _wordset("mr mrs ms miss")
# French-speaking top-level domains: France, its overseas departments and territories, Monaco,
# and French-language regional domains.
_FRENCH_TLDS = _wordset("fr re gp mq gf yt pm nc pf wf tf mc bzh paris alsace corsica quebec")
# Multilingual countries: a hint only when something else already points to French.
_PARTLY_FRENCH_TLDS = _wordset("be ch ca lu")
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


@lru_cache(maxsize=_CACHE_SIZE)
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


@lru_cache(maxsize=_CACHE_SIZE)
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
        and _is_upper_word(name_tokens[0])
        and not all(_is_upper_word(t) for t in name_tokens)
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
    return _normalise_language(fallback)


def _normalise_language(lang: str) -> str:
    primary = lang.strip().lower().replace("_", "-").partition("-")[0]
    if primary not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}: use one of {SUPPORTED_LANGUAGES}")
    return primary


# --- Promise --------------------------------------------------------------------------------

WORKDAY_START = time(9, 0)
WORKDAY_END = time(17, 0)
#: Working time the owner gets before the promised answer.
MIN_WORKING_TIME = timedelta(hours=4)
#: When answers are promised: noon or end of day, Monday to Friday.
PROMISE_SLOTS = (time(12, 0), time(17, 0))


def _next_workday_start(day: datetime) -> datetime:
    day = datetime.combine(day.date() + timedelta(days=1), WORKDAY_START)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def promise_time(as_of: datetime, tz: tzinfo, calendar: WorkCalendar | None = None) -> datetime:
    """The first noon or 17:00 on a weekday after at least 4 working hours (Mon–Fri 9:00–17:00).

    With the owner's `calendar`, its working hours, holidays and vacations instead: the first
    noon (when open just before it) or closing time after 4 hours of its working time, so
    never a moment the shop is closed (`calendar_promise`).

    Worked in the owner's wall-clock time, so a daylight-saving change in between does not move
    the promise off noon. Tuesday 10:00 → Tuesday 17:00; Tuesday 14:00 → Wednesday noon;
    Friday 16:00 → Monday noon; Saturday → Monday 17:00. Public holidays are not known.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    if calendar is not None:
        try:
            return calendar_promise(as_of, calendar)
        except WorkTimeError:  # vacations end to end for years: the weekday promise then
            pass
    now = as_of.astimezone(tz).replace(tzinfo=None, fold=0)
    if now.weekday() >= 5 or now.time() >= WORKDAY_END:
        now = _next_workday_start(now)
    elif now.time() < WORKDAY_START:
        now = datetime.combine(now.date(), WORKDAY_START)
    remaining = MIN_WORKING_TIME
    while True:
        left_today = datetime.combine(now.date(), WORKDAY_END) - now
        if remaining <= left_today:
            due = now + remaining
            break
        remaining -= left_today
        now = _next_workday_start(now)
    slot = next(s for s in PROMISE_SLOTS if due.time() <= s)  # due is at most WORKDAY_END
    return datetime.combine(due.date(), slot, tzinfo=tz)


def calendar_promise(as_of: datetime, calendar: WorkCalendar) -> datetime:
    """`promise_time` in the owner's calendar (see there), in its zone."""
    due = add_business(calendar, as_of, MIN_WORKING_TIME.total_seconds())
    zone = calendar.zone
    day = due.astimezone(zone).date()
    # The day's closing times, and noon when open just before it: a promise "by noon"
    # reads better than "by 11:30", and one at a closing time is kept before leaving.
    noon = datetime.combine(day, PROMISE_SLOTS[0], tzinfo=zone)
    slots = [noon] if is_open(calendar, noon - timedelta(seconds=1)) else []
    slots += [close.astimezone(zone) for _, close in day_intervals(calendar, day)]
    # `due` ends a stretch of working time: its own range's closing time is at or after it.
    return min(slot for slot in slots if slot >= due)


_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}

_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip


def say_promise(promised_by: datetime, as_of: datetime, tz: tzinfo, lang: str) -> str:
    """'by tomorrow noon', 'by Monday 5 pm', 'd'ici jeudi midi', 'd'ici 17 h aujourd'hui'."""
    local = promised_by.astimezone(tz)
    days_ahead = (local.date() - as_of.astimezone(tz).date()).days
    if lang == "fr":
        hour = "midi" if local.hour == 12 and local.minute == 0 else _french_hour(local)
        if days_ahead == 0:
            return f"d'ici {hour} aujourd'hui"
        day = "demain" if days_ahead == 1 else _WEEKDAYS["fr"][local.weekday()]
        if days_ahead > 6:
            day += f" {local.day} {_MONTHS['fr'][local.month - 1]}"
        return f"d'ici {day} {hour}"
    hour = "noon" if local.hour == 12 and local.minute == 0 else _english_hour(local)
    if days_ahead == 0:
        return f"by {hour} today"
    day = "tomorrow" if days_ahead == 1 else _WEEKDAYS["en"][local.weekday()]
    if days_ahead > 6:
        day += f" {local.day} {_MONTHS['en'][local.month - 1]}"
    return f"by {day} {hour}"


# One audit writes every reply with the same as_of and tz objects: the last promise per
# language is remembered, for those very objects (dateutil's tzlocal cannot be hashed).
_LAST_PROMISE: dict[str, tuple[datetime, tzinfo, WorkCalendar | None, datetime, str]] = {}


def _promise(
    as_of: datetime, tz: tzinfo, language: str, calendar: WorkCalendar | None
) -> tuple[datetime, str]:
    """promise_time() and its wording by say_promise()."""
    last = _LAST_PROMISE.get(language)
    if last is not None and last[0] is as_of and last[1] is tz and last[2] is calendar:
        return last[3], last[4]
    promised_by = promise_time(as_of, tz, calendar)
    wording = say_promise(promised_by, as_of, tz, language)
    _LAST_PROMISE[language] = (as_of, tz, calendar, promised_by, wording)
    return promised_by, wording


def _french_hour(moment: datetime) -> str:
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def _english_hour(moment: datetime) -> str:
    hour12 = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour12}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour12} {suffix}"


# --- The reply ------------------------------------------------------------------------------

# One sentence a line: short lines survive a terminal copy-paste without hard wraps.
_TEXTS = {
    "en": {
        "no_subject": "your message",
        "hello": "Hello",
        "thanks_about": 'Thank you for your message about "{topic}"',
        "thanks": "Thank you for your message",
        "promise": ".\nI have received it and will get back to you {promise}.",
        "sorry_promise": ", and sorry for the wait.\nI will get back to you {promise}.",
        "closing": "Best regards,",
    },
    "fr": {
        "no_subject": "votre message",
        "hello": "Bonjour",
        "thanks_about": "Merci pour votre message au sujet de « {topic} »",
        "thanks": "Merci pour votre message",
        "promise": ".\nJe l'ai bien reçu et je reviens vers vous {promise}.",
        "sorry_promise": ", et toutes mes excuses pour ce délai.\nJe reviens vers vous {promise}.",
        "closing": "Bien cordialement,",
    },
}


def holding_reply(
    *,
    subject: str,
    correspondent: Address,
    signs: LanguageSigns = NO_SIGNS,
    as_of: datetime,
    tz: tzinfo,
    lang: str | None = None,
    owner_lang: str = "en",
    signature: str | None = None,
    apologize: bool = False,
    calendar: WorkCalendar | None = None,
    templates: Mapping[str, str] | None = None,
) -> HoldingReply:
    """A short, warm reply promising an answer by a concrete time; `apologize` for overdue mail.
    The time is worked out in the owner's `calendar` when there is one (`promise_time`).

    `lang` ("fr"/"en") forces the language; otherwise detect_language() picks it from the
    subject, the correspondent and the thread's `signs`, or `owner_lang` when they are weak.
    `templates` (language -> the owner's text, checked by check_template) replace the built-in
    wording.
    """
    language = (
        _normalise_language(lang)
        if lang
        else detect_language(
            subject=subject, correspondent=correspondent, signs=signs, fallback=owner_lang
        )
    )
    texts = _TEXTS[language]
    topic = strip_subject(clean_text(subject))
    promised_by, promise = _promise(as_of, tz, language, calendar)
    name = first_name(correspondent)
    greeting = f"{texts['hello']} {name}," if name else f"{texts['hello']},"
    sentence = texts["thanks_about"].format(topic=shorten(topic)) if topic else texts["thanks"]
    sentence += texts["sorry_promise" if apologize else "promise"].format(promise=promise)
    subject = f"Re: {topic or texts['no_subject']}"
    signed = [line.rstrip() for line in (signature or "").strip().splitlines()]
    template = (templates or {}).get(language)
    if template is not None:
        values = {
            "greeting": greeting,
            "first_name": name or "",
            "topic": shorten(topic) if topic else texts["no_subject"],
            "subject": subject,
            "promise": promise,
            "sorry": SORRY[language] if apologize else "",
            "signature": "\n".join(signed),
        }
        body = fill(template, values)
    else:
        body = "\n".join([greeting, "", sentence, "", texts["closing"], *signed])
    return HoldingReply(
        to=correspondent.email,
        subject=subject,
        body=body,
        language=language,
        promised_by=promised_by,
    )
