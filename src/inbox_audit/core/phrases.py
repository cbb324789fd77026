"""Phrases only automata write, at the start of a subject or of a text, folded to be matched."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Subjects, names and addresses repeat (threads, newsletters, one sender): the pure text helpers
# of the classify rules marked with lru_cache remember this many recent values.
CACHE_SIZE = 65536


class _Marks(dict[int, int | None]):
    """str.translate's table that drops combining marks, filled as characters are met: one
    C-level look-up per character instead of a Python call (the opening of every text is
    folded, not only subjects)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


@lru_cache(maxsize=CACHE_SIZE)
def fold(text: str) -> str:
    """Case-folded, without diacritics, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFKD", text.casefold()).translate(_MARKS).split())


# Tags that gateways and filters put in front of a subject: "[EXTERNAL]", "[SPAM?]",
# "*** SPAM ***". Reply and forward prefixes are NOT stripped: "RE: Automatic reply: …"
# is a person answering an auto-reply (often the customer answering the owner's own
# out-of-office), not an auto-reply; RFC 3834 §3.1.5 has auto-replies put their marker
# first ("Auto:", "Automatic reply:").
_GATEWAY_TAGS = re.compile(r"^(?:\[[^\]]{0,40}\]\s*|\*{2,}[^*]{0,30}\*{2,}\s*)+")


@lru_cache(maxsize=CACHE_SIZE)
def normalise_subject(subject: str) -> str:
    """The subject folded, without the tags gateways put in front of it."""
    return _GATEWAY_TAGS.sub("", fold(subject))


_LEADING_TAG = re.compile(r"^\[([^\]]{1,40})\]")


def leading_tag(subject: str) -> str | None:
    """The text of a "[...]" tag the subject starts with, folded; None if it has none."""
    tag = _LEADING_TAG.match(fold(subject))
    return None if tag is None else tag.group(1)


class Phrases:
    """A compiled phrase list whose verdict on each subject is remembered: subjects repeat
    (threads, newsletters), and trying a dozen long lists on every message took seconds at
    100,000 messages."""

    def __init__(self, pattern: str) -> None:
        self._source = pattern
        self.search: Callable[[str], bool] = lru_cache(maxsize=CACHE_SIZE)(self._search)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        # Compiled when first used: the lists take ~50 ms to compile, and a nightly run that
        # finds nothing new classifies nothing.
        return re.compile(self._source)

    def _search(self, subject: str) -> bool:
        return self.pattern.search(subject) is not None


def _at_start(*patterns: str) -> Phrases:
    """Known phrases at the subject start, ending at a word boundary."""
    return Phrases(r"^(?:" + "|".join(patterns) + r")(?![^\W_])")


def _within(*patterns: str) -> Phrases:
    """Known phrases anywhere in the subject, as whole words."""
    return Phrases(r"(?<![^\W_])(?:" + "|".join(patterns) + r")(?![^\W_])")


def _whole(*patterns: str) -> Phrases:
    """Words that only count as the whole subject (trailing punctuation allowed)."""
    return Phrases(r"^(?:" + "|".join(patterns) + r")[\s.!:,;-]*$")


# -------------------------------------------------------------- phrases only automata write

# Subjects no person writes: whole MTA templates (Postfix, Exim, Sendmail, Gmail, Exchange).
_BOUNCE_SUBJECT_STRONG = (
    r"undelivered mail returned to sender",
    r"undeliverable mail returned to sender",
    r"mail delivery failed: returning message to sender",
    r"returned mail: see transcript for details",
    r"delivery status notification \((?:failure|delay)\)",
    r"mail system error - returned mail",
    r"delivery notification: delivery has failed",
    r"warning: could not send message for past",
    # Hotmail's and Yahoo's abuse feedback (RFC 5965 reports often without multipart/report).
    r"complaint about message from \d{1,3}(?:\.\d{1,3}){3}",
    r"email feedback report for ip",
)
BOUNCE_SUBJECT_STRONG = _at_start(*_BOUNCE_SUBJECT_STRONG)

# Localised NDR subjects a customer might also write ("Delivery failure on my order!",
# "Non remis : colis 123"): they only count next to another sign of a notification.
_BOUNCE_SUBJECT_WEAK = (
    r"undeliverable",
    r"undelivered",
    r"delivery status notification",
    r"non-delivery (?:report|notification)",
    r"delivery failure",
    r"delivery failed",
    r"delivery has failed",
    r"delivery delayed",
    r"delayed mail",
    r"mail delivery failed",
    r"mail delivery failure",
    r"message delivery failure",
    r"returned mail",
    r"failure notice",
    r"non remis",
    r"message non remis",
    r"non distribuable",
    r"rapport de non-remise",
    r"echec de (?:la )?remise",
    r"unzustellbar",
    r"nicht zustellbar",
    r"benachrichtigung zum (?:zustell|ubermittlungs)status",
    r"non recapitabile",
    r"impossibile recapitare",
    r"no se puede entregar",
    r"no entregado",
    r"notificacion de estado de entrega",
    r"onbestelbaar",
    r"kan niet worden bezorgd",
    # More of the localised templates of Exchange, Domino, Notes, GroupWise, qmail, Zimbra...
    r"(?:(?:your )?(?:mail|message|e-?mail) )?could not be delivered",
    r"(?:mail|message) (?:was )?not delivered",
    r"undeliverable (?:mail|message|e-?mail)",
    r"delivery (?:status )?notification",
    r"delivery report",
    r"mail delivery (?:problem|error|report)",
    r"returned (?:e-?mail|message)",
    r"(?:message|courriel|mail) non (?:remis|distribue|delivre)",
    r"echec de (?:la )?(?:distribution|livraison du message)",
    r"impossible de (?:remettre|distribuer|delivrer) (?:le|votre) (?:message|courriel)",
    r"notification d'etat de (?:la )?remise",
    r"unzustellbare? (?:nachricht|e-?mail)",
    r"zustellung fehlgeschlagen",
    r"fehler bei der zustellung",
    r"nachricht (?:konnte )?nicht zugestellt",
    r"unzustellbar ?:",
    r"mensaje (?:no entregado|devuelto|no se pudo entregar)",
    r"error (?:de|en la) entrega",
    r"no se (?:pudo|ha podido) entregar",
    r"mancato recapito",
    r"messaggio non recapitato",
    r"impossibile consegnare",
    r"niet (?:afgeleverd|bezorgd)",
    r"bericht (?:kon )?niet (?:worden )?(?:afgeleverd|bezorgd)",
    r"falha (?:na|de) entrega",
    r"mensagem (?:nao entregue|devolvida)",
    r"nao (?:foi possivel )?entregue",
    r"kunde inte levereras",
    r"olevererbart",
    r"kunne ikke leveres",
    r"wiadomosc niedostarczona",
    r"niedostarczona",
)
BOUNCE_SUBJECT_WEAK = _at_start(*_BOUNCE_SUBJECT_WEAK)
# The same phrases anywhere in the subject: gateways answer "RE: <the subject> : non remis
# (delivery failed)" (flufl.bounce's simple_20). Alone no sign: a customer's "Re: colis non
# remis" is about a parcel.
BOUNCE_SUBJECT_WITHIN = _within(*_BOUNCE_SUBJECT_STRONG, *_BOUNCE_SUBJECT_WEAK)

# How delivery reports open their text (what flufl.bounce's and sisimai's detectors key on):
# Postfix, Exim, qmail, Sendmail, DragonFly, Exchange/Office 365, Gmail, Yahoo, Lotus Domino,
# GroupWise, Symantec, and the localised gateways. A customer may write any of these words
# lower in a message ("my parcel could not be delivered"), so they count only as the very
# first words of the text, and only next to another sign of a notification.
BOUNCE_TEXT = _at_start(
    r"this is the mail system at host",
    r"this is the (?:postfix|qmail-send) program at",
    r"hi\. this is the qmail-send program",
    r"this is the dragonfly mail agent",
    r"this is the mail delivery agent at",
    r"this message was created automatically by mail delivery software",
    r"i'?m sorry to have to inform you that (?:your|the) message could not",
    r"the original message was received at",
    r"the following addresses had (?:permanent fatal errors|delivery problems)",
    r"transcript of session follows",
    r"this is an automatically generated delivery status notification",
    r"this is a delivery status notification",
    r"delivery has failed to these recipients",
    r"delivery to the following recipients? (?:failed|has been delayed)",
    r"your message did not reach some or all of the intended recipients",
    r"your message (?:to \S+ )?(?:couldn't|could not|cannot|can't|wasn't|was not) "
    r"(?:be )?(?:delivered|sent)",
    r"your (?:mail|e-?mail) message to the following address(?:es|\(es\))? could not",
    r"the following message to \S+ was undeliverable",
    r"this message could not be delivered",
    r"(?:sorry, )?we were unable to deliver your message",
    r"(?:message from \S+ )?unable to deliver (?:the )?message to",
    r"an error occurred while trying to deliver the mail",
    r"(?:address not found|message not delivered) \*\* (?:your|there)",
    r"your document:? .{0,80} was not delivered to",
    r"the message that you sent was (?:undeliverable|not delivered)",
    r"votre message n'a pas pu etre (?:remis|delivre|distribue|envoye)",
    r"votre message (?:a \S+ )?n'a pas ete (?:remis|delivre|distribue)",
    r"la remise a echoue pour ces destinataires",
    r"ceci est (?:un message|une notification) (?:genere|generee) automatiquement",
    r"(?:ihre|die) nachricht konnte nicht zugestellt werden",
    r"die zustellung an folgende empfanger ist fehlgeschlagen",
    r"(?:su|el) mensaje no (?:se )?(?:pudo|ha podido) (?:ser )?entregad?o",
    r"il (?:suo )?messaggio non (?:e stato|puo essere) recapitato",
    r"uw bericht kon niet worden (?:afgeleverd|bezorgd)",
)

# Read receipts (RFC 8098 MDNs) as mail clients title them.
RECEIPT_SUBJECT = _at_start(
    r"read ?:",
    r"not read ?:",
    r"lu ?:",
    r"non lu ?:",
    r"gelesen ?:",
    r"ungelesen ?:",
    r"letto ?:",
    r"leido ?:",
    r"gelezen ?:",
    r"lido ?:",
    r"read receipt",
    r"accuse de reception \(affiche\)",  # Thunderbird's French MDN without multipart/report
    r"return receipt",
    r"read notification",
    r"accuse de lecture",
    r"confirmation de lecture",
    r"lesebestatigung",
    r"ricevuta di lettura",
    r"confirmacion de lectura",
    r"leesbevestiging",
)

# Out-of-office replies and autoresponders, as they title themselves (RFC 3834 §3.1.5).
AUTO_REPLY_SUBJECT = _at_start(
    r"out of (?:the )?office",
    r"i am (?:currently )?(?:out of (?:the )?office|away from (?:the )?office)",
    r"i am (?:currently )?on (?:leave|holiday)",
    r"i'?m (?:currently )?out of (?:the )?office",
    r"absente?(?:\(e\))? jusqu'?(?:au|a)\b",
    r"je suis (?:actuellement )?en conges",
    r"en conges jusqu'?(?:au|a)\b",
    r"abwesend bis\b",
    r"ausente ?:",
    r"ich bin (?:nicht im buro|abwesend|im urlaub)",
    r"absence ?[-:–] ?retour",
    # Acknowledgements sent by ticketing tools and autoresponders, not by people.
    r"accuse de reception de votre (?:demande|message|mail|courriel)",
    r"nous avons bien recu votre (?:demande|message|mail|courriel)",
    r"votre (?:demande|message|mail|courriel) a bien ete (?:recue?|prise? en compte|transmise?)",
    r"we (?:have )?received your (?:message|request|e-?mail|enquiry|inquiry)",
    r"automatic reply",
    r"automatic response",
    r"automated reply",
    r"automated response",
    r"auto[- ]?reply",
    r"auto[- ]?response",
    r"auto[- ]?responder",
    r"auto ?:",
    r"ooo\b",
    r"vacation (?:reply|notice|response|message|auto[- ]?reply)",
    r"reponse automatique",
    r"message d'absence",
    r"notification d'absence",
    r"absen(?:ce|t|te|t\(e\)) du bureau",
    r"je suis (?:actuellement )?absente?(?:\(e\))? du bureau",
    r"abwesenheitsnotiz",
    r"abwesenheitsnachricht",
    r"automatische antwort",
    r"automatische abwesenheitsnachricht",
    r"risposta automatica",
    r"fuori sede",
    r"fuori ufficio",
    r"respuesta automatica",
    r"fuera de la oficina",
    r"fuera de oficina",
    r"automatisch antwoord",
    r"afwezigheidsbericht",
    r"afwezig ?:",
    r"autosvar",
    r"automatisk svar",
    r"automatiskt svar",
    r"resposta automatica",
    r"odpowiedz automatyczna",
    r"automaattinen vastaus",
    r"automatisk besked",
    r"automatisch(?:e)? (?:antwort|bericht)",
    r"fora do escritorio",
    r"ausente do escritorio",
    r"poza biurem",
    r"nieobecnosc",
    r"mimo kancelar",
    r"automaticka odpoved",
    r"автоматический ответ",
    r"自動応答",
    r"自动回复",
)

# Words an out-of-office uses as its whole subject, and a customer would not.
# ("Vacances", "Urlaub" are not here: tourists write them to a holiday rental.)
AUTO_REPLY_WHOLE_SUBJECT = _whole(
    r"conges",
    r"en conges",
    r"conges annuels",
    r"absence",
    r"absente?(?:\(e\))?",
    r"je suis (?:actuellement )?absente?(?:\(e\))?",
    r"afwezig",
    r"abwesend",
    r"abwesenheit",
    r"away",
    r"away from (?:the )?office",
)

# Meeting responses (Outlook, Exchange, Google Calendar), as "Accepted: <meeting title>".
CALENDAR_SUBJECT = _at_start(
    r"(?:tentatively )?accepted ?:",
    r"declined ?:",
    r"tentative ?:",
    r"accepte ?:",
    r"refuse ?:",
    r"provisoire ?:",
    r"accepte provisoirement ?:",
    r"invitation acceptee ?:",
    r"invitation refusee ?:",
    r"(?:mit vorbehalt |vorlaufig )?angenommen ?:",
    r"abgelehnt ?:",
    r"(?:provvisoriamente )?accettato ?:",
    r"rifiutato ?:",
    r"(?:aceptado|rechazado)(?: provisionalmente)? ?:",
    r"provisional ?:",
    r"(?:voorlopig )?geaccepteerd ?:",
    r"geweigerd ?:",
    r"zugesagt ?:",
    r"abgesagt ?:",
    r"invitacion (?:aceptada|rechazada) ?:",
)

# Invitations from calendar services: "Invitation: Visite @ ven. 13 juin 2025 10:00 - 11:00".
INVITATION_SUBJECT = _at_start(
    r"(?:updated |new )?invitation ?:",
    r"invitation (?:mise a jour|modifiee) ?:",
    r"nouvel evenement ?:",
    r"(?:aktualisierte )?einladung ?:",
    r"invitacion ?:",
)


# Lines of stars, dashes or equal signs that templates draw above their first words.
_DECORATION = re.compile(r"^[\W_]+")


def opening(text: str) -> str:
    """The first words of a message's text (Message.text_start), folded, without the rule
    lines that templates draw above them. Not remembered: texts rarely repeat."""
    # Typographic apostrophes as typed ones: "I’m sorry", "n’a pas pu".
    return _DECORATION.sub("", fold.__wrapped__(text[:300]).replace("\u2019", "'"))


# ------------------------------------------------------------- forwards, from their text

# The line mail clients put above a message they forward (its rules folded away by opening):
# Gmail's "---------- Forwarded message ---------", Thunderbird's "-------- Forwarded Message
# --------", Apple Mail's "Begin forwarded message:", Yahoo's "----- Forwarded Message -----",
# in the languages of their users. Not "-------- Original Message --------" nor "-----Original
# Message-----": replies quote under those.
FORWARD_TEXT = _at_start(
    r"(?:begin )?forwarded (?:message|e-?mail)",
    r"(?:debut du )?message (?:transfere|reexpedie)",
    r"courriel transfere",
    r"(?:anfang der )?weitergeleitete(?:n)? nachricht",
    r"(?:inicio del )?mensaje reenviado",
    r"(?:inizio )?messaggio inoltrato",
    r"(?:begin )?doorgestuurd bericht",
    r"(?:inicio da )?mensagem (?:encaminhada|reencaminhada)",
    r"videresendt (?:melding|meddelelse)",
    r"vidarebefordrat meddelande",
)

# Outlook forwards with no marker line: the forwarded message's header block opens the text
# ("De : … Envoyé : … À : … Objet : …", "From: … Sent: … To: …"). An empty reply opens the
# same way, so threads.is_forward counts it only under a subject that is no reply.
FORWARDED_HEADERS = _at_start(
    r"(?:from|de|von|van|da|od|fra|fran) ?: .{1,160}? "
    r"(?:sent|envoye|date|gesendet|datum|verzonden|enviado|fecha|inviato|data|skickat|sendt)"
    r" ?: .{1,80}? (?:to|a|an|aan|para|til|till|do) ?:"
)
