"""Seeded generator of realistic, messy mailboxes with their exact ground truth.

`generate(seed, layout)` invents a small business, its customers and a month of mail: requests
answered in time or late, pending and overdue ones, follow-ups, replies from many mail clients
(some dropping In-Reply-To/References), and the traps a real mailbox holds (two customers
writing "Devis" the same week, a forward to a colleague, wrong Date clocks, no Message-ID...),
plus newsletters, notifications, out-of-office replies, bounces, read receipts and calendar
notices. The generator decides every outcome itself, so `GeneratedMailbox.truth` is exact.

The same seed gives the same logical mailbox in every layout; only the folders differ. Statuses
are computed from the internal dates (server arrival / sending time), never from Date headers.

Truth entries, keyed by Message-ID (or by the X-Gen-Key header of a message without one):
- status "answered" | "pending" | "overdue": a customer message (reply_message_id is the first
  reply that answers it; None with latency None when only the \\Answered flag says so);
- status "not_customer": automated or non-customer mail; reason_kind names the expected
  model.Reason value;
- status None: the owner's outbound mail, or (reason_kind "skipped_folder") a message that sits
  only in Drafts, Trash or Junk. Neither may ever be reported answered, pending or overdue.

Only the standard library is used, so scripts/make_demo.py can run under a bare python3.
"""

from __future__ import annotations

import base64
import os
import quopri
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

LAYOUTS: tuple[str, ...] = ("plain", "gmail", "french")
DEFAULT_AS_OF = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=1)))
DEFAULT_SLA = timedelta(hours=24)

#: reason_kind of a message that sits only in Drafts, Trash or Junk: it must not be reported.
SKIPPED_FOLDER = "skipped_folder"

#: Statuses a customer message can have.
CUSTOMER_STATUSES = frozenset({"answered", "pending", "overdue"})

# How far back the generated month reaches.
_SPAN = timedelta(days=30)


@dataclass(frozen=True)
class GenMessage:
    """One copy of a message, as it is loaded into one folder."""

    folder: str  # folder name in the chosen layout, e.g. "INBOX", "Sent", "Envoyés"
    data: bytes  # full RFC 5322 message, CRLF line endings
    flags: tuple[str, ...]  # e.g. ("\\Seen",) or ("\\Seen", "\\Answered")
    internal_date: datetime  # aware; server arrival (inbound) or sending time (outbound)
    message_id: str | None  # the Message-ID header value without <>; None when absent

    @property
    def key(self) -> str:
        """The truth key: the Message-ID, or the X-Gen-Key of a message without one."""
        if self.message_id is not None:
            return self.message_id
        match = re.search(rb"^X-Gen-Key: (\S+)\r$", self.data, re.MULTILINE)
        if match is None:  # pragma: no cover - every generated message has one or the other
            raise ValueError("generated message has neither Message-ID nor X-Gen-Key")
        return match.group(1).decode("ascii")


@dataclass(frozen=True)
class Truth:
    """What the audit must conclude about one logical message."""

    status: str | None  # "answered" | "pending" | "overdue" | "not_customer" | None
    reason_kind: str | None  # model.Reason value for not_customer; "skipped_folder"; else None
    reply_message_id: str | None  # for answered: Message-ID of the first reply that answers it
    latency_seconds: int | None  # reply internal date - inbound internal date


@dataclass(frozen=True)
class GeneratedMailbox:
    """A generated mailbox: the messages to load and what an audit must find in them."""

    layout: str  # "plain" | "gmail" | "french" (or "demo" for the hand-made demo store)
    owner: tuple[str, ...]  # the owner's addresses, main first, aliases after
    as_of: datetime
    sla: timedelta
    messages: tuple[GenMessage, ...]  # in load order; gmail copies share bytes and Message-ID
    truth: Mapping[str, Truth]  # by Message-ID (or X-Gen-Key)

    def folders(self) -> tuple[str, ...]:
        """Every folder of the layout, empty standard ones included, INBOX first."""
        seen = dict.fromkeys(_STANDARD_FOLDERS.get(self.layout, ("INBOX",)))
        for message in self.messages:
            seen.setdefault(message.folder)
        return tuple(seen)

    def copies(self, key: str) -> tuple[GenMessage, ...]:
        """Every copy of one logical message."""
        return tuple(m for m in self.messages if m.key == key)


# --------------------------------------------------------------------------- encodings


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def encode_words(text: str, charset: str = "utf-8", encoding: str = "B") -> str:
    """RFC 2047 encoded words for non-ASCII text, each at most 75 characters (§2)."""
    if text.isascii():
        return text
    if not _encodable(text, charset):
        charset = "utf-8"
    label = charset.upper() if charset.lower() == "utf-8" else charset
    kind = encoding.upper()

    def word(chunk: str) -> str:
        raw = chunk.encode(charset)
        if kind == "B":
            payload = base64.b64encode(raw).decode("ascii")
        else:
            payload = "".join(
                chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}"
                for b in raw
            )
        return f"=?{label}?{kind}?{payload}?="

    words: list[str] = []
    chunk = ""
    for char in text:
        if chunk and len(word(chunk + char)) > 75:
            words.append(word(chunk))
            chunk = char
        else:
            chunk += char
    words.append(word(chunk))
    return " ".join(words)


_SPECIALS = re.compile(r'[,.;:@()<>\[\]"\\]')


def format_address(name: str, email: str, charset: str = "utf-8", encoding: str = "B") -> str:
    """A From/To value: bare address, quoted display name, or RFC 2047 display name."""
    if not name:
        return email
    if not name.isascii():
        return f"{encode_words(name, charset, encoding)} <{email}>"
    if _SPECIALS.search(name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{email}>'
    return f"{name} <{email}>"


def fold(name: str, value: str) -> str:
    """One header field, folded before whitespace so that lines stay under 78 characters."""
    line = f"{name}: {value}"
    if len(line) <= 78:
        return line
    out: list[str] = []
    current = ""
    for index, word in enumerate(line.split(" ")):
        piece = word if index == 0 else " " + word
        if current and len(current) + len(piece) > 76:
            out.append(current)
            current = piece
        else:
            current += piece
    out.append(current)
    return "\r\n".join(out)


def imap_utf7(name: str) -> str:
    """IMAP modified UTF-7 (RFC 3501 §5.1.3), as Dovecot names Maildir folders on disk."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ","))
            out.append("-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def text_body(
    text: str, charset: str = "utf-8", transfer: str = "8bit"
) -> tuple[list[tuple[str, str]], bytes]:
    """A text/plain body: its MIME header fields and its encoded bytes (CRLF lines)."""
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if not _encodable(text, charset):
        charset = "utf-8"
    raw = text.encode(charset)
    if text.isascii():
        transfer = "7bit"
    if transfer == "quoted-printable":
        raw = quopri.encodestring(raw.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    label = charset if charset.lower() != "utf-8" else "UTF-8"
    fields = [
        ("Content-Type", f"text/plain; charset={label}; format=flowed"),
        ("Content-Transfer-Encoding", transfer),
    ]
    return fields, raw


def render_message(
    fields: Sequence[tuple[str, str]], body: bytes, trace: Sequence[tuple[str, str]] = ()
) -> bytes:
    """Header fields (trace fields first) + blank line + body, with CRLF line endings."""
    lines = [fold(name, value) for name, value in (*trace, *fields)]
    head = "\r\n".join(lines).encode("ascii")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return head + b"\r\n\r\n" + body


# --------------------------------------------------------------------------- time zones


def _last_sunday(year: int, month: int) -> int:
    for day in range(31, 24, -1):
        try:
            if datetime(year, month, day, tzinfo=UTC).weekday() == 6:
                return day
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _nth_sunday(year: int, month: int, nth: int) -> int:
    first = datetime(year, month, 1, tzinfo=UTC).weekday()
    return 1 + (6 - first) % 7 + 7 * (nth - 1)


def local_time(when: datetime, zone: str) -> datetime:
    """`when` in one of the zones people here live in (EU and US summer time rules)."""
    t = when.astimezone(UTC)
    year = t.year
    if zone == "newyork":
        start = datetime(year, 3, _nth_sunday(year, 3, 2), 7, tzinfo=UTC)
        end = datetime(year, 11, _nth_sunday(year, 11, 1), 6, tzinfo=UTC)
        hours = -4 if start <= t < end else -5
    elif zone == "utc":
        hours = 0
    else:
        start = datetime(year, 3, _last_sunday(year, 3), 1, tzinfo=UTC)
        end = datetime(year, 10, _last_sunday(year, 10), 1, tzinfo=UTC)
        base = 0 if zone == "london" else 1
        hours = base + (1 if start <= t < end else 0)
    return t.astimezone(timezone(timedelta(hours=hours)))


_ZONE_NAMES = {(1, "paris"): "CET", (2, "paris"): "CEST", (0, "london"): "GMT"}


def date_header(when: datetime, zone: str, comment: bool = False) -> str:
    """An RFC 5322 Date value in the writer's zone, optionally with a zone comment."""
    local = local_time(when, zone)
    text = format_datetime(local)
    offset = local.utcoffset() or timedelta(0)
    name = _ZONE_NAMES.get((int(offset.total_seconds()) // 3600, zone))
    if comment and name:
        text += f" ({name})"
    return text


# --------------------------------------------------------------------------- mail clients


@dataclass(frozen=True)
class _Client:
    """How one mail program writes: prefixes, Message-IDs, threading headers, extras."""

    name: str
    reply_prefix: str
    forward_prefix: str
    threading: str  # "full" | "short" | "irt" | "refs" | "none"
    outlook: bool = False  # Thread-Index / Thread-Topic / X-MS-Has-Attach
    stack: bool = False  # always prepends its prefix ("Re: Re: ...")
    charset: str = "utf-8"
    encoding: str = "B"
    date_comment: bool = False
    multipart: bool = False  # text + html alternative
    extras: tuple[tuple[str, str], ...] = ()


_CLIENTS: dict[str, _Client] = {
    c.name: c
    for c in (
        _Client("gmail", "Re: ", "Fwd: ", "full", multipart=True),
        _Client(
            "outlook",
            "RE: ",
            "FW: ",
            "full",
            outlook=True,
            multipart=True,
            extras=(("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")),
        ),
        _Client(
            "outlook_fr",
            "RE : ",
            "TR : ",
            "full",
            outlook=True,
            multipart=True,
            extras=(("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")),
        ),
        _Client("outlook_de", "AW: ", "WG: ", "short", outlook=True, multipart=True),
        _Client("outlook_sv", "SV: ", "VB: ", "short", outlook=True, multipart=True),
        _Client("outlook_nl", "Antw: ", "Doorst: ", "short", outlook=True, encoding="Q"),
        _Client(
            "apple",
            "Re: ",
            "Fwd: ",
            "full",
            encoding="Q",
            extras=(("X-Mailer", "Apple Mail (2.3774.600.62)"),),
        ),
        _Client(
            "iphone",
            "Re: ",
            "Fwd: ",
            "full",
            encoding="Q",
            extras=(("X-Mailer", "iPhone Mail (21G93)"),),
        ),
        _Client(
            "thunderbird",
            "Re: ",
            "Fwd: ",
            "full",
            encoding="Q",
            extras=(
                (
                    "User-Agent",
                    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.4.2",
                ),
            ),
        ),
        _Client(
            "orange_web",
            "Re: ",
            "Fwd: ",
            "irt",
            charset="iso-8859-1",
            encoding="Q",
            date_comment=True,
            extras=(("X-Originating-IP", "[90.12.34.56]"),),
        ),
        _Client("zimbra", "Re: ", "Fwd: ", "refs", extras=(("X-Mailer", "Zimbra 9.0.0_GA_4546"),)),
        _Client(
            "yahoo",
            "Re: ",
            "Fwd: ",
            "full",
            multipart=True,
            extras=(("X-Mailer", "WebService/1.1.22806 YMailNorrin"),),
        ),
        _Client(
            "notes_fr",
            "Réf : ",
            "TR : ",
            "irt",
            charset="iso-8859-1",
            encoding="Q",
            extras=(("X-Mailer", "Lotus Notes Release 9.0.1FP10 SHF383"),),
        ),
        # Mailing software: newsletters, notifications, bounces.
        _Client("bot", "Re: ", "Fwd: ", "full", multipart=True),
        # Stock mail apps and old webmails that drop In-Reply-To/References entirely.
        _Client(
            "mobile",
            "Re: ",
            "Fwd: ",
            "none",
            stack=True,
            extras=(("X-Mailer", "Android Mail 8.1"),),
        ),
        _Client(
            "webmail_basic",
            "RE: ",
            "TR: ",
            "none",
            stack=True,
            charset="iso-8859-1",
            encoding="Q",
            extras=(("X-Mailer", "SquirrelMail/1.4.23"),),
        ),
    )
}

_PREFIX = re.compile(
    r"^\s*((re|fwd?|fw|tr|aw|sv|vb|wg|antw|doorst|réf|ref|relance)\s*(\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


def base_subject(subject: str) -> str:
    """The subject without its stack of reply/forward prefixes."""
    return _PREFIX.sub("", subject).strip()


def reply_subject(subject: str, prefix: str, stack: bool) -> str:
    """What a client puts in the Subject of a reply: prefix added unless already there."""
    if not stack and subject.lower().startswith(prefix.lower().strip()):
        return subject
    return prefix + subject


# --------------------------------------------------------------------------- people and content

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fr": (
        (
            "Marie", "Jean", "Sophie", "Pierre", "Élodie", "François", "Hélène", "Jérôme",
            "Camille", "Nicolas", "Léa", "Benoît", "Chloé", "Stéphane", "Amélie", "Gaëlle",
            "Anaïs", "Loïc", "Cécile", "Thierry", "Nathalie", "Mathieu", "Agnès", "Sébastien",
            "Inès", "Raphaël", "Margaux", "Joël", "Bérénice", "Yannick",
        ),
        (
            "Dupont", "Martin", "Bernard", "Lefèvre", "Moreau", "Girard", "Rousseau", "Bonnet",
            "Fontaine", "Chevalier", "Lemaître", "Mercier", "Faure", "Gauthier", "Perrin", "Roux",
            "Blanc", "Guérin", "Leclerc", "Boucher", "Carré", "Hébert", "Noël", "Besnard",
            "Dubois", "Laurent", "Lambert", "Vidal", "Caron", "Picard",
        ),
    ),
    "en": (
        (
            "Emma", "Oliver", "Charlotte", "James", "Amelia", "Harry", "Sophie", "Jack",
            "Olivia", "George", "Grace", "Thomas", "Lucy", "William", "Hannah", "Daniel",
        ),
        (
            "Smith", "Taylor", "Brown", "Wilson", "Davies", "Evans", "O'Brien", "Clarke",
            "Hughes", "Walker", "Wright", "Robinson", "Thompson", "Hall", "Green", "Baker",
        ),
    ),
    "de": (("Jürgen", "Anke", "Lukas", "Sabine"), ("Müller", "Schröder", "Weiß", "Becker")),
    "sv": (("Björn", "Åsa", "Karin"), ("Lindqvist", "Söderberg", "Nyström")),
    "nl": (("Sanne", "Joris", "Femke"), ("de Vries", "van Dijk", "Jansen")),
}  # fmt: skip

_DOMAINS: dict[str, tuple[str, ...]] = {
    "fr": (
        "gmail.com", "gmail.com", "orange.fr", "orange.fr", "wanadoo.fr", "free.fr", "free.fr",
        "hotmail.fr", "hotmail.com", "yahoo.fr", "laposte.net", "sfr.fr", "outlook.fr",
        "icloud.com", "cabinet-moreau-avocats.fr", "mairie-saint-genis.fr", "hotel-des-arts.com",
        "studio-graphik.fr", "agence-horizon.fr", "pharmacie-du-centre.fr",
    ),
    "en": (
        "gmail.com", "gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "icloud.com",
        "btinternet.com", "brightwave.co.uk", "harbourlight.com", "acme-events.com",
    ),
    "de": ("gmx.de", "web.de", "t-online.de", "kleinwerk.de"),
    "sv": ("telia.com", "gmail.com", "nordform.se"),
    "nl": ("ziggo.nl", "gmail.com", "studio-noord.nl"),
}  # fmt: skip

_WEBMAIL = frozenset(
    {
        "gmail.com", "orange.fr", "wanadoo.fr", "free.fr", "hotmail.fr", "hotmail.com",
        "yahoo.fr", "yahoo.com", "laposte.net", "sfr.fr", "outlook.fr", "outlook.com",
        "icloud.com", "btinternet.com", "gmx.de", "web.de", "t-online.de", "telia.com",
        "ziggo.nl",
    }
)  # fmt: skip

_CLIENTS_BY_DOMAIN: dict[str, tuple[str, ...]] = {
    "gmail.com": ("gmail", "gmail", "gmail", "iphone", "mobile"),
    "orange.fr": ("orange_web", "orange_web", "thunderbird", "apple", "mobile"),
    "wanadoo.fr": ("orange_web", "thunderbird", "webmail_basic"),
    "free.fr": ("zimbra", "thunderbird", "apple", "webmail_basic"),
    "hotmail.fr": ("outlook_fr", "outlook_fr", "iphone"),
    "hotmail.com": ("outlook", "outlook", "iphone"),
    "outlook.fr": ("outlook_fr",),
    "outlook.com": ("outlook",),
    "yahoo.fr": ("yahoo", "yahoo", "mobile"),
    "yahoo.com": ("yahoo",),
    "laposte.net": ("webmail_basic", "thunderbird"),
    "sfr.fr": ("webmail_basic", "thunderbird"),
    "icloud.com": ("apple", "iphone"),
    "btinternet.com": ("yahoo", "apple"),
}


@dataclass(frozen=True)
class _Business:
    name: str
    owner: str
    main: str
    alias: str
    colleague: tuple[str, str]
    items_fr: tuple[str, ...]
    items_en: tuple[str, ...]


_BUSINESSES = (
    _Business(
        "Atelier Terre & Feu",
        "Hugo Marchand",
        "hugo@terre-et-feu.fr",
        "contact@terre-et-feu.fr",
        ("Lise Marchand", "lise.marchand@terre-et-feu.fr"),
        ("un service de 6 assiettes", "deux bols émaillés", "le grand vase bleu", "un stage"),
        ("a set of six plates", "two glazed bowls", "the large blue vase", "a pottery class"),
    ),
    _Business(
        "Fleurs de Saison",
        "Élise Garnier",
        "elise@fleurs-de-saison.fr",
        "commandes@fleurs-de-saison.fr",
        ("Paul Garnier", "paul@fleurs-de-saison.fr"),
        ("un bouquet de mariée", "une composition pour samedi", "10 centres de table"),
        ("a bridal bouquet", "an arrangement for Saturday", "ten table centrepieces"),
    ),
    _Business(
        "Menuiserie Roux",
        "Thomas Roux",
        "thomas.roux@menuiserie-roux.fr",
        "contact@menuiserie-roux.fr",
        ("Karim Benali", "atelier@menuiserie-roux.fr"),
        ("une bibliothèque sur mesure", "la réparation de deux volets", "un escalier en chêne"),
        ("a made-to-measure bookcase", "repairing two shutters", "an oak staircase"),
    ),
    _Business(
        "Gîte du Vieux Moulin",
        "Sylvie Perrot",
        "sylvie@gite-vieux-moulin.fr",
        "reservation@gite-vieux-moulin.fr",
        ("Marc Perrot", "marc.perrot@gite-vieux-moulin.fr"),
        ("le gîte pour 4 personnes", "la chambre double", "une semaine en février"),
        ("the cottage for four", "the double room", "a week in February"),
    ),
    _Business(
        "Librairie La Page Blanche",
        "Benoît Lacroix",
        "benoit@lapageblanche.fr",
        "librairie@lapageblanche.fr",
        ("Anne Lacroix", "anne@lapageblanche.fr"),
        ("un livre épuisé", "une commande pour l'école", "trois bons cadeaux"),
        ("an out-of-print book", "an order for a school", "three gift vouchers"),
    ),
)

# (language, subject, body). {item} {n} {day} are filled in.
_TOPICS: tuple[tuple[str, str, str], ...] = (
    ("fr", "Devis", "Pourriez-vous m'envoyer un devis pour {item} ?\nMerci d'avance."),
    ("fr", "Devis", "Je souhaiterais un devis pour {item}, livraison avant le {day} si possible."),
    ("fr", "Demande de devis", "Nous aimerions un devis pour {item}. Quels sont vos délais ?"),
    ("fr", "Question", "Petite question : faites-vous aussi {item} sur mesure ?"),
    ("fr", "Question", "Est-ce que vous livrez en dehors de la région ?"),
    ("fr", "Commande", "Je voudrais commander {item}. Comment puis-je régler ?"),
    ("fr", "Commande n°{n}", "Je n'ai toujours pas reçu ma commande n°{n}. Où en est-elle ?"),
    ("fr", "Disponibilité", "{item} est-il toujours disponible ? Je passerais samedi."),
    ("fr", "Rendez-vous", "Serait-il possible de passer vous voir le {day} en fin de journée ?"),
    ("fr", "Problème avec ma commande", "Le colis est arrivé mais {item} est abîmé."),
    ("fr", "Bon cadeau pour Noël", "Proposez-vous des bons cadeaux ? Pour {item} par exemple."),
    ("fr", "Délai de livraison ?", "Quel serait le délai pour {item} ?"),
    ("fr", "Réservation du {day}", "Je confirme souhaiter réserver {item} pour le {day}."),
    ("fr", "Facture n°{n}", "Pourriez-vous me renvoyer la facture n°{n} ? Je ne la retrouve pas."),
    ("fr", "Annulation", "Je dois malheureusement annuler ma demande concernant {item}."),
    (
        "fr",
        "Demande de renseignements concernant une commande groupée pour notre comité d'entreprise",
        "Nous sommes une quinzaine et aimerions commander {item}. Faites-vous des remises ?",
    ),
    ("en", "Quote request", "Could you send me a quote for {item}?\nMany thanks."),
    ("en", "Question", "Quick question: do you ship {item} to the UK?"),
    ("en", "Order #{n}", "My order #{n} has not arrived yet. Could you check, please?"),
    ("en", "Availability", "Is {item} still available? I could come by on {day}."),
    ("en", "Gift voucher", "Do you sell gift vouchers? It is for {item}."),
    ("en", "Booking for {day}", "I would like to book {item} for {day}."),
    ("en", "Damaged item", "The parcel arrived today but {item} is damaged."),
    ("en", "Custom order", "Would you be able to make {item} in a custom size?"),
    ("de", "Anfrage", "Können Sie mir ein Angebot für {item} schicken?"),
    ("de", "Bestellung {n}", "Meine Bestellung {n} ist noch nicht angekommen."),
    ("sv", "Fråga om beställning", "Hej! Skickar ni {item} till Sverige?"),
    ("nl", "Vraag over bestelling", "Kunt u {item} naar Nederland versturen?"),
)

_GREETING = {"fr": "Bonjour,", "en": "Hello,", "de": "Guten Tag,", "sv": "Hej,", "nl": "Goedendag,"}
_CLOSING = {
    "fr": ("Cordialement,", "Bien à vous,", "Merci d'avance,", "Bonne journée,"),
    "en": ("Best regards,", "Thanks,", "Kind regards,", "Cheers,"),
    "de": ("Mit freundlichen Grüßen,",),
    "sv": ("Vänliga hälsningar,",),
    "nl": ("Met vriendelijke groet,",),
}
_ANSWERS_FR = (
    "C'est tout à fait possible, je vous envoie le détail en pièce jointe.",
    "Oui, nous pouvons le faire, comptez environ deux semaines.",
    "Je viens de vérifier : c'est disponible, je vous le mets de côté.",
    "Bien reçu, je regarde cela et je reviens vers vous rapidement.",
    "Votre colis est parti hier, vous devriez le recevoir d'ici jeudi.",
)
_ANSWERS_EN = (
    "Yes, that is possible; I have attached the details.",
    "We can certainly do that; allow about two weeks.",
    "I have just checked: it is available and I have put it aside for you.",
    "Your parcel left yesterday and should arrive by Thursday.",
)
_FOLLOW_UPS = {
    "fr": (
        "Je me permets de vous relancer concernant mon message ci-dessous.",
        "Avez-vous pu regarder ma demande ?",
    ),
    "en": ("Just following up on my message below.", "Any news on this, please?"),
    "de": ("Ich wollte kurz nachfragen, ob Sie meine Nachricht erhalten haben.",),
    "sv": ("Har ni hunnit titta på mitt meddelande?",),
    "nl": ("Heeft u mijn bericht ontvangen?",),
}
_AFTER_ANSWER = {
    "fr": (
        "Merci pour votre réponse. Une dernière question : peut-on payer par virement ?",
        "Parfait, merci. Pourriez-vous aussi me préciser les frais de port ?",
    ),
    "en": ("Thanks! One more question: can I pay by bank transfer?",),
    "de": ("Danke! Noch eine Frage: Kann ich per Überweisung bezahlen?",),
    "sv": ("Tack! Kan jag betala med banköverföring?",),
    "nl": ("Dank u! Kan ik per overschrijving betalen?",),
}
_DAYS_FR = ("12 décembre", "samedi 28", "5 janvier", "vendredi prochain", "14 février")
_DAYS_EN = ("12 December", "Saturday the 28th", "5 January", "next Friday", "14 February")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


@dataclass
class _Person:
    name: str
    email: str  # as this person writes it (case kept)
    lang: str
    client: str
    zone: str
    reply_to: str | None = None

    @property
    def first(self) -> str:
        return self.name.split(",")[-1].split()[0] if self.name else ""


def _bot(name: str, email: str, lang: str = "fr", client: str = "bot") -> _Person:
    return _Person(name, email, lang, client, "paris")


@dataclass
class _Mail:
    """A message under construction."""

    seq: int
    key: str
    message_id: str | None
    fields: list[tuple[str, str]]
    body: bytes
    trace: list[tuple[str, str]]  # Received etc., on delivered copies only
    places: tuple[str, ...]
    flags: list[str]
    internal: datetime
    chain: tuple[str, ...]  # the References a reply to this message would carry
    subject: str
    thread_index: bytes | None
    client_folder: str | None = None
    truth: Truth | None = None
    sent_copy_plain: bool = False  # self-sent: only the INBOX copy has trace fields
    sender_label: str = ""


@dataclass
class _Event:
    kind: str  # "in" | "reply" (answers) | "other" (forward, draft: answers nothing)
    mail: _Mail


@dataclass
class _Conv:
    person: _Person
    events: list[_Event] = field(default_factory=list)
    flag_only: bool = False  # last inbound is \\Answered but the reply copy is missing


@dataclass(frozen=True)
class _Step:
    """One message of a conversation: who writes it and how."""

    actor: str  # "c" customer, "o" owner reply, "f" owner forward, "d" owner draft
    threading: str | None = None  # override the client's threading ("none" drops headers)
    client: str | None = None  # override the writer's client
    from_alias: bool | None = None
    place: str | None = None
    date_shift: timedelta | None = None  # Date header off by this much (wrong clock)
    no_date: bool = False
    no_message_id: bool = False
    to_lower: bool = False  # owner writes the customer's address lower-cased
    to_first: bool = False  # owner answers the first customer message (crossing mails)
    text: str | None = None
    to: tuple[str, str] | None = None  # owner replies to this (name, address), not the customer


# Placement tokens → folder names per layout. Gmail copies everything but Spam/Trash to All Mail.
_STANDARD_FOLDERS: dict[str, tuple[str, ...]] = {
    "plain": ("INBOX", "Sent", "Archive", "Drafts", "Trash", "Junk"),
    "gmail": (
        "INBOX",
        "[Gmail]/All Mail",
        "[Gmail]/Sent Mail",
        "[Gmail]/Drafts",
        "[Gmail]/Spam",
        "[Gmail]/Trash",
    ),
    "french": (
        "INBOX",
        "Envoyés",
        "Brouillons",
        "Corbeille",
        "Indésirables",
        "Archives",
        "Archives/Clients",
    ),
}


def _folders(layout: str, places: Sequence[str], client_folder: str | None) -> list[str]:
    names: list[str] = []
    for place in places:
        if layout == "plain":
            names += {
                "inbox": ["INBOX"],
                "sent": ["Sent"],
                "archive": ["Archive"],
                "client": [f"Clients/{client_folder}"],
                "client_out": [f"Clients/{client_folder}"],
                "drafts": ["Drafts"],
                "trash": ["Trash"],
                "junk": ["Junk"],
            }[place]
        elif layout == "french":
            names += {
                "inbox": ["INBOX"],
                "sent": ["Envoyés"],
                "archive": ["Archives"],
                "client": ["Archives/Clients"],
                "client_out": ["Archives/Clients"],
                "drafts": ["Brouillons"],
                "trash": ["Corbeille"],
                "junk": ["Indésirables"],
            }[place]
        else:
            all_mail = "[Gmail]/All Mail"
            label = f"Clients/{client_folder}"
            names += {
                "inbox": ["INBOX", all_mail],
                "sent": ["[Gmail]/Sent Mail", all_mail],
                "archive": [all_mail],
                "client": [label, all_mail],
                "client_out": ["[Gmail]/Sent Mail", label, all_mail],
                # Gmail lists drafts in All Mail too (with \Draft).
                "drafts": ["[Gmail]/Drafts", all_mail],
                "trash": ["[Gmail]/Trash"],
                "junk": ["[Gmail]/Spam"],
            }[place]
    order = _STANDARD_FOLDERS[layout]
    unique = list(dict.fromkeys(names))
    return sorted(unique, key=lambda n: order.index(n) if n in order else len(order))


# --------------------------------------------------------------------------- the generator


class _Gen:
    def __init__(self, seed: int, layout: str, as_of: datetime, sla: timedelta) -> None:
        self.seed = seed
        self.layout = layout
        self.as_of = as_of.astimezone(UTC)
        self.sla = sla
        self.margin = min(timedelta(hours=1), sla / 8)
        self.rng = random.Random(seed)
        self.mails: list[_Mail] = []
        self.convs: list[_Conv] = []
        self.ids: set[str] = set()
        self.emails: set[str] = set()
        self.used_names: set[str] = set()
        self.client_folders: list[str] = []
        business = self.rng.choice(_BUSINESSES)
        self.biz = business
        self.domain = business.main.split("@")[1]
        self.owner = _Person(
            business.owner,
            business.main,
            "fr",
            self.rng.choice(("thunderbird", "apple", "outlook_fr", "gmail")),
            "paris",
        )
        self.emails.update({business.main, business.alias})

    # ---------------------------------------------------------------- small helpers

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def message_id(self, client: str, domain: str) -> str:
        rng = self.rng
        while True:
            hexa = "".join(rng.choice("0123456789abcdef") for _ in range(32))
            if client == "gmail" or (client == "mobile" and domain == "gmail.com"):
                alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+="
                mid = "CA" + "".join(rng.choice(alphabet) for _ in range(46)) + "@mail.gmail.com"
            elif client.startswith("outlook"):
                server = f"{rng.choice(('PAXP', 'AM0P', 'DB9P', 'PR3P'))}R{rng.randint(1, 9)}"
                server += f"MB{rng.randint(1000, 9999)}"
                mid = f"{server}{hexa[:24].upper()}@{server}.eurprd0{rng.randint(1, 9)}"
                mid += ".prod.outlook.com"
            elif client in ("apple", "iphone"):
                u = hexa.upper()
                mid = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}@{domain}"
            elif client == "orange_web":
                mid = (
                    f"{rng.randint(10**8, 10**9)}.{rng.randint(1000, 99999)}."
                    f"{rng.randint(10**12, 2 * 10**12)}.JavaMail.open-xchange@"
                    f"opme11oxm0{rng.randint(1, 9)}nd1.rouen.francetelecom.fr"
                )
            elif client == "yahoo":
                mid = f"{rng.randint(10**8, 10**9)}.{rng.randint(10**5, 10**7)}."
                mid += f"{rng.randint(10**12, 2 * 10**12)}@mail.yahoo.com"
            elif client == "zimbra":
                mid = f"{rng.randint(10**5, 10**7)}.{rng.randint(10**5, 10**7)}."
                mid += (
                    f"{rng.randint(10**12, 2 * 10**12)}.JavaMail.root@zimbra68-e12.priv.proxad.net"
                )
            elif client == "bot":
                mid = f"{hexa[:14]}.{hexa[14:26]}@{domain}"
            elif client == "notes_fr":
                mid = f"OF{hexa[:8].upper()}.{hexa[8:16].upper()}-ONC1257{hexa[16:21].upper()}"
                mid += f"@{domain}"
            else:
                mid = f"{hexa[:8]}-{hexa[8:12]}-{hexa[12:16]}-{hexa[16:20]}-{hexa[20:]}@{domain}"
            if mid not in self.ids:
                self.ids.add(mid)
                return mid

    def new_person(self, lang: str | None = None, *, company: bool | None = None) -> _Person:
        rng = self.rng
        if lang is None:
            lang = rng.choices(("fr", "en", "de", "sv", "nl"), (66, 24, 4, 3, 3))[0]
        firsts, lasts = _NAMES[lang]
        for _ in range(200):
            first, last = rng.choice(firsts), rng.choice(lasts)
            if f"{first} {last}" not in self.used_names:
                break
        self.used_names.add(f"{first} {last}")
        domains = _DOMAINS[lang]
        if company is not None:
            pool = [d for d in domains if (d not in _WEBMAIL) == company] or list(domains)
            domain = rng.choice(pool)
        else:
            domain = rng.choice(domains)
        f, la = _ascii(first), _ascii(last)
        for attempt in range(100):
            if domain not in _WEBMAIL:
                local = rng.choice((f"{f}.{la}", f"{f[0]}.{la}", f"{f[0]}{la}"))
            else:
                local = rng.choice(
                    (f"{f}.{la}", f"{f}{la}", f"{f[0]}.{la}", f"{f}.{la}{rng.randint(1, 99)}")
                )
            if attempt > 5:
                local += str(attempt)
            email = f"{local}@{domain}"
            if email not in self.emails:
                break
        self.emails.add(email)
        if domain in _CLIENTS_BY_DOMAIN:
            client = rng.choice(_CLIENTS_BY_DOMAIN[domain])
        else:
            client = {
                "fr": rng.choice(("outlook_fr", "outlook_fr", "outlook", "notes_fr", "apple")),
                "en": rng.choice(("outlook", "outlook", "apple", "gmail")),
                "de": "outlook_de",
                "sv": "outlook_sv",
                "nl": "outlook_nl",
            }[lang]
        zone = {"fr": "paris", "de": "paris", "sv": "paris", "nl": "paris"}.get(lang)
        if zone is None:
            zone = rng.choice(("london", "london", "newyork"))
        name = f"{first} {last}"
        if rng.random() < 0.08:
            name = ""  # some people have no display name set
        return _Person(name, email, lang, client, zone)

    def fill(self, text: str, lang: str) -> str:
        items = self.biz.items_fr if lang == "fr" else self.biz.items_en
        days = _DAYS_FR if lang == "fr" else _DAYS_EN
        return text.format(
            item=self.rng.choice(items), n=self.rng.randint(1040, 2980), day=self.rng.choice(days)
        )

    def topic(self, lang: str, subject: str | None = None) -> tuple[str, str]:
        choices = [t for t in _TOPICS if t[0] == lang] or [t for t in _TOPICS if t[0] == "en"]
        if subject is not None:
            choices = [t for t in choices if t[1] == subject] or choices
        _, subj, body = self.rng.choice(choices)
        return self.fill(subj, lang), self.fill(body, lang)

    def writer_body(self, person: _Person, text: str, quoted: _Mail | None) -> str:
        lang = person.lang if person.lang in _CLOSING else "en"
        lines = [_GREETING[lang], "", text, "", self.rng.choice(_CLOSING[lang])]
        lines.append(person.name.split(",")[-1].strip() if person.name else person.email)
        if quoted is not None:
            when = local_time(quoted.internal, "paris").strftime("%d/%m/%Y %H:%M")
            intro = (
                f"Le {when}, {quoted.sender_label} a écrit :"
                if lang == "fr"
                else f"On {when}, {quoted.sender_label} wrote:"
            )
            lines += ["", intro, f"> {base_subject(quoted.subject)}"]
        return "\n".join(lines)

    # ---------------------------------------------------------------- time

    def sample_time(self, lo: timedelta, hi: timedelta) -> datetime:
        """A moment whose age at as_of is in [lo, hi]."""
        span = max(0.0, (hi - lo).total_seconds())
        age = lo + timedelta(seconds=self.rng.random() * span)
        return (self.as_of - age).replace(microsecond=0)

    def pending_age(self) -> tuple[timedelta, timedelta]:
        return self.margin, self.sla - self.margin

    def overdue_age(self) -> tuple[timedelta, timedelta]:
        return self.sla + self.margin, _SPAN

    def plan(
        self, actors: str, gaps: Sequence[tuple[timedelta, timedelta]], end: str
    ) -> list[datetime]:
        """Times for a conversation; `end` says how old its last message must be.

        end: "pending" / "overdue" (last message is the customer's, that old) or "any".
        Rejection-sampled so people write at plausible hours and no latency or age falls
        within a few minutes of the SLA (Date and internal dates differ by seconds).
        """
        best: list[datetime] = []
        for attempt in range(60):
            deltas = [
                timedelta(
                    seconds=int(lo.total_seconds() + self.rng.random() * (hi - lo).total_seconds())
                )
                for lo, hi in gaps
            ]
            span = sum(deltas, timedelta(0))
            if end == "pending":
                lo, hi = self.pending_age()
            elif end == "overdue":
                lo, hi = self.overdue_age()
                hi = max(lo, min(hi, _SPAN - span))
            else:
                lo, hi = timedelta(minutes=20), max(timedelta(minutes=30), _SPAN - span)
            last = self.sample_time(lo, hi)
            times = [last - span]
            for delta in deltas:
                times.append((times[-1] + delta).replace(microsecond=0))
            best = times
            if attempt < 50 and not self.plausible(actors, times):
                continue
            return times
        return best

    def plausible(self, actors: str, times: Sequence[datetime]) -> bool:
        for actor, when in zip(actors, times, strict=True):
            hour = local_time(when, "paris").hour
            if actor == "c" and not 7 <= hour < 23:
                return False
            if actor != "c" and not 8 <= hour < 21:
                return False
        near = timedelta(minutes=15)
        pending: list[datetime] = []
        for actor, when in zip(actors, times, strict=True):
            if actor == "c":
                pending.append(when)
            elif actor == "o":
                if any(abs((when - t) - self.sla) < near for t in pending):
                    return False
                pending = []
        return not any(abs((self.as_of - t) - self.sla) < near for t in pending)

    # ---------------------------------------------------------------- building messages

    def add(
        self,
        *,
        sender: _Person,
        sender_email: str | None = None,
        to: Sequence[tuple[str, str]],
        cc: Sequence[tuple[str, str]] = (),
        subject: str,
        text: str,
        at: datetime,
        client: str,
        places: tuple[str, ...],
        parent: _Mail | None = None,
        threading: str | None = None,
        delivered: bool,
        date_shift: timedelta | None = None,
        no_date: bool = False,
        no_message_id: bool = False,
        extra: Sequence[tuple[str, str]] = (),
        content: tuple[list[tuple[str, str]], bytes] | None = None,
        return_path: str | None = None,
        flags: Sequence[str] = (),
        client_folder: str | None = None,
        truth: Truth | None = None,
    ) -> _Mail:
        rng = self.rng
        spec = _CLIENTS[client]
        email = sender_email or sender.email
        domain = email.split("@")[1].lower()
        seq = len(self.mails)
        mid = None if no_message_id else self.message_id(client, domain)
        key = mid or f"gen-{self.seed}-{seq}@mailgen.invalid"
        # Date: composed a few seconds before the server got it.
        composed = at - timedelta(seconds=rng.randint(1, 40) if delivered else rng.randint(0, 4))
        if date_shift is not None:
            composed += date_shift
        fields: list[tuple[str, str]] = []
        if not no_date:
            fields.append(("Date", date_header(composed, sender.zone, spec.date_comment)))
        fields.append(("From", format_address(sender.name, email, spec.charset, spec.encoding)))
        if sender.reply_to:
            fields.append(("Reply-To", sender.reply_to))
        fields.append(
            ("To", ", ".join(format_address(n, e, spec.charset, spec.encoding) for n, e in to))
        )
        if cc:
            fields.append(
                ("Cc", ", ".join(format_address(n, e, spec.charset, spec.encoding) for n, e in cc))
            )
        fields.append(("Subject", encode_words(subject, spec.charset, spec.encoding)))
        if mid is not None:
            fields.append(("Message-ID", f"<{mid}>"))
        else:
            fields.append(("X-Gen-Key", key))
        mode = threading or spec.threading
        chain: tuple[str, ...] = ()
        if parent is not None and mode != "none":
            parent_chain = parent.chain
            if mode in ("full", "refs") and parent_chain:
                fields.append(("References", " ".join(f"<{r}>" for r in parent_chain)))
            elif mode == "short" and parent_chain:
                short = (
                    parent_chain if len(parent_chain) <= 2 else parent_chain[:1] + parent_chain[-1:]
                )
                fields.append(("References", " ".join(f"<{r}>" for r in short)))
            if mode != "refs" and parent.message_id is not None:
                fields.append(("In-Reply-To", f"<{parent.message_id}>"))
            chain = parent_chain
        if mid is not None:
            chain = (*chain, mid)
        thread_index: bytes | None = None
        if spec.outlook:
            if parent is not None and parent.thread_index is not None and mode != "none":
                thread_index = parent.thread_index + rng.randbytes(5)
            else:
                thread_index = rng.randbytes(22)
            fields.append(("Thread-Topic", encode_words(base_subject(subject), spec.charset)))
            fields.append(("Thread-Index", base64.b64encode(thread_index).decode("ascii")))
        fields.extend(spec.extras)
        if spec.outlook and sender.lang in ("fr", "en", "de"):
            lang_tag = {"fr": "fr-FR", "en": "en-GB", "de": "de-DE"}[sender.lang]
            fields.append(("Content-Language", lang_tag))
        fields.extend(extra)
        fields.append(("MIME-Version", "1.0"))
        if content is None:
            transfer = "quoted-printable" if spec.charset == "utf-8" else "8bit"
            content = self.body(text, spec, transfer)
        fields.extend(content[0])
        trace: list[tuple[str, str]] = []
        if delivered:
            trace = self.trace(email, to, at, return_path)
        mail = _Mail(
            seq=seq,
            key=key,
            message_id=mid,
            fields=fields,
            body=content[1],
            trace=trace,
            places=places,
            flags=list(flags),
            internal=at,
            chain=chain,
            subject=subject,
            thread_index=thread_index,
            client_folder=client_folder,
            truth=truth,
        )
        mail.sender_label = format_address(sender.name, email, "utf-8") if sender.name else email
        self.mails.append(mail)
        return mail

    def body(self, text: str, spec: _Client, transfer: str) -> tuple[list[tuple[str, str]], bytes]:
        plain_fields, plain = text_body(text, spec.charset, transfer)
        if not spec.multipart:
            return plain_fields, plain
        boundary = "000000000000" + "".join(self.rng.choice("0123456789abcdef") for _ in range(16))
        html_text = '<div dir="ltr">' + text.replace("\n", "<br>") + "</div>"
        html_fields, html = text_body(html_text, spec.charset, transfer)
        html_fields[0] = ("Content-Type", f"text/html; charset={spec.charset.upper()}")
        parts = []
        for part_fields, part_body in ((plain_fields, plain), (html_fields, html)):
            head = "\r\n".join(f"{n}: {v}" for n, v in part_fields).encode("ascii")
            parts.append(b"--" + boundary.encode() + b"\r\n" + head + b"\r\n\r\n" + part_body)
        raw = b"\r\n".join(parts) + b"\r\n--" + boundary.encode() + b"--\r\n"
        return [("Content-Type", f'multipart/alternative; boundary="{boundary}"')], raw

    def trace(
        self,
        sender: str,
        to: Sequence[tuple[str, str]],
        at: datetime,
        return_path: str | None,
    ) -> list[tuple[str, str]]:
        rng = self.rng
        rcpt = to[0][1].lower() if to else self.biz.main
        sender_domain = sender.split("@")[1].lower()
        ip = ".".join(str(rng.randint(2, 220)) for _ in range(4))
        queue = "".join(rng.choice("0123456789ABCDEF") for _ in range(10))
        hop = at - timedelta(seconds=rng.randint(1, 20))
        return [
            ("Return-Path", f"<{sender if return_path is None else return_path}>"),
            ("Delivered-To", rcpt),
            (
                "Received",
                f"from mail.{sender_domain} (mail.{sender_domain} [{ip}]) by mx1.{self.domain}"
                f" (Postfix) with ESMTPS id {queue} for <{rcpt}>; {date_header(at, 'paris')}",
            ),
            (
                "Received",
                f"from [192.168.1.{rng.randint(2, 250)}] by mail.{sender_domain} with ESMTPSA;"
                f" {date_header(hop, 'utc')}",
            ),
        ]

    # ---------------------------------------------------------------- conversations

    def conversation(
        self,
        person: _Person,
        steps: Sequence[_Step],
        times: Sequence[datetime],
        *,
        subject: str | None = None,
        text: str | None = None,
        place: str = "inbox",
        client_folder: str | None = None,
        parent: _Mail | None = None,
        to_alias: bool | None = None,
        cc: Sequence[tuple[str, str]] = (),
    ) -> _Conv:
        """Write a conversation: customer messages and owner replies, in order."""
        rng = self.rng
        conv = _Conv(person)
        self.convs.append(conv)
        if subject is None or text is None:
            topic_subject, topic_text = self.topic(person.lang, subject)
            subject = subject or topic_subject
            text = text or topic_text
        owner_addr = (
            self.biz.alias
            if (to_alias if to_alias is not None else self.chance(0.3))
            else self.biz.main
        )
        last: _Mail | None = parent
        last_customer: _Mail | None = None
        first_customer: _Mail | None = None
        current_subject = subject if parent is None else parent.subject
        for step, when in zip(steps, times, strict=True):
            if step.actor == "c":
                client = step.client or person.client
                spec = _CLIENTS[client]
                if last is None:
                    subj = subject
                    body = text
                elif last is last_customer:  # a follow-up to their own message
                    subj = (
                        current_subject
                        if self.chance(0.3)
                        else reply_subject(current_subject, spec.reply_prefix, spec.stack)
                    )
                    body = step.text or rng.choice(_FOLLOW_UPS.get(person.lang, _FOLLOW_UPS["en"]))
                else:
                    subj = reply_subject(current_subject, spec.reply_prefix, spec.stack)
                    if step.text is None and self.chance(0.15):  # a new subject, same thread
                        subj = base_subject(current_subject) + (
                            " - suite" if person.lang == "fr" else " - follow-up"
                        )
                    body = step.text or rng.choice(
                        _AFTER_ANSWER.get(person.lang, _AFTER_ANSWER["en"])
                    )
                mail = self.add(
                    sender=person,
                    to=[
                        (
                            self.biz.name if owner_addr == self.biz.alias else self.owner.name,
                            owner_addr,
                        )
                    ],
                    cc=cc,
                    subject=subj,
                    text=self.writer_body(person, body, last),
                    at=when,
                    client=client,
                    places=(step.place or place,),
                    parent=last,
                    threading=step.threading,
                    delivered=True,
                    date_shift=step.date_shift,
                    no_date=step.no_date,
                    no_message_id=step.no_message_id,
                    extra=self.customer_extras(client),
                    client_folder=client_folder,
                )
                conv.events.append(_Event("in", mail))
                last_customer = mail
                first_customer = first_customer or mail
            else:
                if last_customer is None or first_customer is None:
                    raise ValueError("an owner step needs a customer message before it")
                answered = first_customer if step.to_first else last_customer
                # Replies without threading headers come from a phone's stock mail app.
                client = step.client or (
                    "mobile" if step.threading == "none" else self.owner.client
                )
                spec = _CLIENTS[client]
                use_alias = (
                    step.from_alias
                    if step.from_alias is not None
                    else (owner_addr == self.biz.alias and self.chance(0.7))
                )
                sender_email = self.biz.alias if use_alias else self.biz.main
                sender = _Person(
                    self.biz.name if use_alias else self.owner.name,
                    sender_email,
                    "fr",
                    client,
                    "paris",
                )
                reply_to_addr = person.reply_to or person.email
                if step.to_lower:
                    reply_to_addr = reply_to_addr.lower()
                recipient = step.to or (person.name, reply_to_addr)
                if step.actor == "f":
                    name, colleague = self.biz.colleague
                    subj = reply_subject(current_subject, spec.forward_prefix, False)
                    mail = self.add(
                        sender=sender,
                        sender_email=sender_email,
                        to=[(name, colleague)],
                        subject=subj,
                        text=f"{name.split()[0]}, tu peux regarder ?\n\n-- Transféré --\n{text}",
                        at=when,
                        client=client,
                        places=("sent",),
                        parent=answered,
                        threading=step.threading or "full",
                        delivered=False,
                        flags=("\\Seen",),
                        truth=Truth(None, None, None, None),
                    )
                    conv.events.append(_Event("other", mail))
                    continue
                subj = reply_subject(current_subject, spec.reply_prefix, spec.stack)
                lang = "fr" if person.lang == "fr" else "en"
                answer = step.text or rng.choice(_ANSWERS_FR if lang == "fr" else _ANSWERS_EN)
                greeting = f"Bonjour {person.first}," if lang == "fr" else f"Hello {person.first},"
                signature = "Belle journée," if lang == "fr" else "Best wishes,"
                body = f"{greeting}\n\n{answer}\n\n{signature}\n{self.owner.first}\n{self.biz.name}"
                draft = step.actor == "d"
                out_place = step.place or (
                    "drafts"
                    if draft
                    else ("client_out" if client_folder and self.chance(0.4) else "sent")
                )
                mail = self.add(
                    sender=sender,
                    sender_email=sender_email,
                    to=[recipient],
                    cc=cc,
                    subject=subj,
                    text=body + "\n\n" + f"> {text.splitlines()[0]}",
                    at=when,
                    client=client,
                    places=(out_place,),
                    parent=answered,
                    threading=step.threading,
                    delivered=out_place == "inbox",
                    flags=("\\Seen", "\\Draft") if draft else ("\\Seen",),
                    client_folder=client_folder,
                    truth=Truth(None, SKIPPED_FOLDER if draft else None, None, None),
                )
                conv.events.append(_Event("other" if draft else "reply", mail))
            current_subject = subj
            last = mail
        return conv

    def customer_extras(self, client: str) -> list[tuple[str, str]]:
        # Outlook puts X-Auto-Response-Suppress on ordinary mail too: it is no auto-reply sign
        # on its own.
        if client.startswith("outlook") and self.chance(0.4):
            return [("X-Auto-Response-Suppress", "All")]
        return []

    # ---------------------------------------------------------------- resolution

    def resolve(self) -> None:
        """Compute every customer message's truth from its conversation, then its flags."""
        for conv in self.convs:
            waiting: list[_Mail] = []
            for event in sorted(conv.events, key=lambda e: (e.mail.internal, e.mail.seq)):
                if event.kind == "in":
                    waiting.append(event.mail)
                elif event.kind == "reply":
                    reply = event.mail
                    dropped = not any(
                        n == "In-Reply-To" or n == "References" for n, _ in reply.fields
                    )
                    for inbound in waiting:
                        latency = int((reply.internal - inbound.internal).total_seconds())
                        inbound.truth = Truth("answered", None, reply.message_id, latency)
                        inbound.flags = ["\\Seen"]
                        if self.chance(0.55 if dropped else 0.9):
                            inbound.flags.append("\\Answered")
                    waiting = []
            for index, inbound in enumerate(waiting):
                if conv.flag_only and index == len(waiting) - 1:
                    inbound.truth = Truth("answered", None, None, None)
                    inbound.flags = ["\\Seen", "\\Answered"]
                    continue
                age = self.as_of - inbound.internal
                status = "pending" if age < self.sla else "overdue"
                inbound.truth = Truth(status, None, None, None)
                seen = self.chance(0.85 if status == "overdue" else 0.45)
                inbound.flags = ["\\Seen"] if seen else []
                if seen and self.chance(0.2):
                    inbound.flags.append("\\Flagged")

    def mailbox(self) -> GeneratedMailbox:
        copies: list[tuple[datetime, int, int, GenMessage]] = []
        truth: dict[str, Truth] = {}
        for mail in self.mails:
            if mail.truth is None:  # pragma: no cover - resolve() sets every customer message
                raise AssertionError(f"no truth for {mail.key}")
            truth[mail.key] = mail.truth
            flags = tuple(sorted(dict.fromkeys(mail.flags)))
            delivered = render_message(mail.fields, mail.body, mail.trace)
            plain = render_message(mail.fields, mail.body)
            folders = _folders(self.layout, mail.places, mail.client_folder)
            for order, folder in enumerate(folders):
                # Outside Gmail a message sent to oneself exists twice: the delivered copy in
                # INBOX (with trace fields) and the client's copy in Sent (without).
                plain_copy = mail.sent_copy_plain and self.layout != "gmail" and folder != "INBOX"
                data = plain if plain_copy else delivered
                copies.append(
                    (
                        mail.internal,
                        mail.seq,
                        order,
                        GenMessage(folder, data, flags, mail.internal, mail.message_id),
                    )
                )
        copies.sort(key=lambda c: (c[0], c[1], c[2]))
        return GeneratedMailbox(
            layout=self.layout,
            owner=(self.biz.main, self.biz.alias),
            as_of=self.as_of,
            sla=self.sla,
            messages=tuple(c[3] for c in copies),
            truth=truth,
        )

    # ---------------------------------------------------------------- ordinary customers

    def inside(self) -> tuple[timedelta, timedelta]:
        return timedelta(minutes=3), self.sla - self.margin

    def late(self) -> tuple[timedelta, timedelta]:
        return self.sla + self.margin, max(self.sla * 3, timedelta(days=4))

    def regular(self, person: _Person, kind: str, client_folder: str | None = None) -> _Conv:
        """One ordinary conversation of a given shape."""
        day = timedelta(days=1)
        hour = timedelta(hours=1)
        minute = timedelta(minutes=1)
        reply_gap = self.inside() if self.chance(0.75) else self.late()
        end_unanswered = "pending" if self.chance(0.4) else "overdue"
        shapes: dict[str, tuple[str, list[tuple[timedelta, timedelta]], str]] = {
            "in_time": ("co", [self.inside()], "any"),
            "late": ("co", [self.late()], "any"),
            "pending": ("c", [], "pending"),
            "overdue": ("c", [], "overdue"),
            "followup_answered": ("cco", [(day, 3 * day), (10 * minute, self.sla)], "any"),
            "followup_unanswered": ("cc", [(day, 4 * day)], end_unanswered),
            "answered_then_new": ("coc", [reply_gap, (2 * hour, 3 * day)], end_unanswered),
            "back_and_forth": (
                "cococ",
                [self.inside(), (hour, 2 * day), reply_gap, (hour, day)],
                end_unanswered,
            ),
            "back_and_forth_closed": ("coco", [self.inside(), (hour, 2 * day), reply_gap], "any"),
            "two_replies": ("coo", [(5 * minute, 4 * hour), (hour, 3 * day)], "any"),
            "forward_then_answer": ("cfo", [(5 * minute, 3 * hour), (hour, 2 * day)], "any"),
            # The answer to the first message leaves minutes after the follow-up arrived.
            "crossing": ("cco", [(day, 2 * day), (minute, 10 * minute)], "any"),
        }
        actors, gaps, end = shapes[kind]
        times = self.plan(actors, gaps, end)
        steps = []
        for actor in actors:
            if actor == "o":
                dropped = self.chance(0.12)
                steps.append(
                    _Step("o", threading="none" if dropped else None, to_first=kind == "crossing")
                )
            else:
                steps.append(_Step(actor))
        place = "client" if client_folder else "inbox"
        answered_at_end = actors.endswith("o")
        if place == "inbox" and answered_at_end and self.chance(0.35):
            place = "archive"
        cc: list[tuple[str, str]] = []
        if person.email.split("@")[1] not in _WEBMAIL and self.chance(0.25):
            colleague = self.new_person(person.lang)
            colleague_domain = person.email.split("@")[1]
            colleague_email = colleague.email.split("@")[0] + "@" + colleague_domain
            cc.append((colleague.name, colleague_email))
        return self.conversation(
            person, steps, times, place=place, client_folder=client_folder, cc=cc
        )

    def owner_initiated(self, person: _Person) -> _Conv:
        """The owner writes first (a quote); the customer answers; maybe the owner again."""
        answered = self.chance(0.5)
        actors = "oco" if answered else "oc"
        gaps = [(timedelta(hours=2), timedelta(days=4))]
        if answered:
            gaps.append(self.inside())
        end = "any" if answered else ("pending" if self.chance(0.4) else "overdue")
        times = self.plan(actors, gaps, end)
        lang = "fr" if person.lang == "fr" else "en"
        number = self.rng.randint(2026001, 2026099)
        subject = f"Votre devis n°{number}" if lang == "fr" else f"Your quote {number}"
        text = (
            f"Bonjour {person.first},\n\nVoici le devis demandé.\n\n{self.owner.first}"
            if lang == "fr"
            else f"Hello {person.first},\n\nPlease find the quote attached.\n\n{self.owner.first}"
        )
        root = self.add(
            sender=self.owner,
            to=[(person.name, person.email)],
            subject=subject,
            text=text,
            at=times[0],
            client=self.owner.client,
            places=("sent",),
            delivered=False,
            flags=("\\Seen",),
            truth=Truth(None, None, None, None),
        )
        steps = [_Step(a) for a in actors[1:]]
        return self.conversation(
            person, steps, times[1:], subject=subject, text=text, parent=root, to_alias=False
        )

    # ---------------------------------------------------------------- traps

    def trap_same_subject(self, subject: str, dropped: bool) -> None:
        """Two customers write the same bare subject days apart; only one gets an answer."""
        lang_subject = subject
        a = self.new_person("fr")
        b = self.new_person("fr")
        text_a = self.fill(self.topic("fr", subject)[1], "fr")
        text_b = self.fill(self.topic("fr", subject)[1], "fr")
        for _ in range(60):
            t_a = self.sample_time(timedelta(days=3), timedelta(days=12))
            t_b = t_a + timedelta(hours=self.rng.uniform(2, 40))
            t_reply = t_b + timedelta(hours=self.rng.uniform(1, 20))
            if self.plausible("cc", [t_a, t_b]) and self.plausible("o", [t_reply]):
                break
        t_a, t_b, t_reply = (t.replace(microsecond=0) for t in (t_a, t_b, t_reply))
        # The answer goes to whoever wrote first or second, and always after both wrote.
        answered, other = (a, b) if self.chance(0.5) else (b, a)
        t_answered, t_other = (t_a, t_b) if answered is a else (t_b, t_a)
        text_answered, text_other = (text_a, text_b) if answered is a else (text_b, text_a)
        step = _Step("o", threading="none" if dropped else None)
        self.conversation(
            answered,
            [_Step("c"), step],
            [t_answered, t_reply],
            subject=lang_subject,
            text=text_answered,
        )
        self.conversation(other, [_Step("c")], [t_other], subject=lang_subject, text=text_other)

    def elsewhere(self) -> None:
        """Replies that name the customer's message in In-Reply-To but go elsewhere, which
        answer it; forwards to others, which do not; colleagues writing, who are no customers."""
        full = "full"  # the reply names the message it answers: Reply was pressed

        def answered(person: _Person, to: tuple[str, str]) -> None:
            times = self.plan("co", [self.inside()], "any")
            self.conversation(person, [_Step("c"), _Step("o", threading=full, to=to)], times)

        # A group address the customer wrote through (in copy), answered there only.
        person = self.new_person("fr")
        host = self.rng.choice(("googlegroups.com", "framalistes.org", "asso-du-quartier.fr"))
        group = ("Parents de l'atelier", f"parents-atelier@{host}")
        times = self.plan("co", [self.inside()], "any")
        self.conversation(
            person, [_Step("c"), _Step("o", threading=full, to=group)], times, cc=[group]
        )
        # The customer's work address.
        person = self.new_person("fr", company=False)
        work = self.new_person("fr", company=True)
        answered(person, (person.name, work.email))
        # A dated address that changes with every message (TMDA, SpamGourmet).
        person = self.new_person("en", company=False)
        local, domain = person.email.split("@")
        self.emails.discard(person.email)
        person.email = f"{local}+dated.{self.rng.randint(10**9, 2 * 10**9)}@{domain}"
        answered(
            person, (person.name, f"{local}+dated.{self.rng.randint(10**9, 2 * 10**9)}@{domain}")
        )
        # Their assistant.
        person = self.new_person("fr", company=True)
        assistant = ("Secrétariat", "secretariat@" + person.email.split("@")[1])
        answered(person, assistant)
        # Forwarded to someone else with the threading headers (Gmail, Thunderbird): waiting.
        person = self.new_person("fr")
        times = self.plan("cf", [(timedelta(minutes=10), timedelta(hours=5))], "overdue")
        self.conversation(person, [_Step("c"), _Step("f", threading=full)], times)
        # Colleagues write to the owner: internal, never listed.
        name, address = self.biz.colleague
        colleague = _Person(name, address, "fr", self.owner.client, "paris")
        # One answers a customer, the owner in copy: the shop has answered her.
        person = self.new_person("fr")
        times = self.plan("co", [self.inside()], "any")
        conv = self.conversation(person, [_Step("c")], times[:1])
        question = conv.events[0].mail
        spec = _CLIENTS[colleague.client]
        answer = self.add(
            sender=colleague,
            to=[(person.name, person.email)],
            cc=[(self.owner.name, self.biz.main)],
            subject=reply_subject(question.subject, spec.reply_prefix, spec.stack),
            text=f"Bonjour {person.first},\n\nC'est noté, je m'en occupe.\n\n{name}",
            at=times[1],
            client=colleague.client,
            places=("inbox",),
            parent=question,
            threading=full,
            delivered=True,
            flags=("\\Seen",),
            truth=Truth("not_customer", "internal", None, None),
        )
        conv.events.append(_Event("reply", answer))
        for subject in ("Planning de la semaine", "Commande fournisseur à valider", "Re: Congés"):
            self.add(
                sender=colleague,
                to=[(self.owner.name, self.biz.main)],
                subject=subject,
                text="Tu peux regarder quand tu as un moment ?",
                at=self.sample_time(timedelta(hours=30), _SPAN),
                client=colleague.client,
                places=("inbox",),
                delivered=True,
                flags=("\\Seen",),
                truth=Truth("not_customer", "internal", None, None),
            )

    def traps(self) -> None:
        rng = self.rng
        self.trap_same_subject("Devis", dropped=True)
        self.trap_same_subject(rng.choice(("Question", "Commande")), dropped=self.chance(0.5))
        self.trap_same_subject("Devis", dropped=False)

        # A customer whose clock is years behind: answered, with threading headers.
        person = self.new_person("fr")
        times = self.plan("co", [self.inside()], "any")
        years = timedelta(days=-365 * self.rng.randint(5, 8) - self.rng.randint(0, 200))
        self.conversation(person, [_Step("c", date_shift=years), _Step("o")], times)
        # One whose clock is in the future: unanswered.
        person = self.new_person("fr")
        times = self.plan("c", [], "overdue" if self.chance(0.5) else "pending")
        ahead = timedelta(days=400 + self.rng.randint(0, 300))
        self.conversation(person, [_Step("c", date_shift=ahead)], times)
        # No Date header.
        person = self.new_person()
        times = self.plan("c", [], "overdue")
        self.conversation(person, [_Step("c", no_date=True)], times)
        # No Message-ID: a reply can only point at it by subject and correspondent.
        person = self.new_person("fr")
        answered = self.chance(0.6)
        times = self.plan(
            "co" if answered else "c",
            [self.inside()] if answered else [],
            "any" if answered else "overdue",
        )
        steps = [_Step("c", no_message_id=True)] + ([_Step("o")] if answered else [])
        self.conversation(person, steps, times)
        # A display name with a comma, answered late.
        person = self.new_person("fr")
        last, first = person.name.split(" ", 1)[1] if person.name else "Dupont", person.first
        person.name = f"{last}, {first or 'Marie'}"
        self.conversation(person, [_Step("c"), _Step("o")], self.plan("co", [self.late()], "any"))
        # Upper-case address; the owner replies lower-cased from a phone, no threading headers.
        person = self.new_person("fr")
        local, domain = person.email.split("@")
        self.emails.discard(person.email)
        person.email = local[:1].upper() + local[1:].upper() + "@" + domain.title()
        person.client = "orange_web"
        self.conversation(
            person,
            [_Step("c"), _Step("o", threading="none", to_lower=True)],
            self.plan("co", [self.inside()], "any"),
        )
        # Forwarded to a colleague, never answered: still waiting.
        person = self.new_person("fr")
        times = self.plan("cf", [(timedelta(minutes=10), timedelta(hours=5))], "overdue")
        self.conversation(person, [_Step("c"), _Step("f")], times)
        # \Answered set on the customer's message but the reply copy is nowhere.
        person = self.new_person("fr")
        conv = self.conversation(person, [_Step("c")], self.plan("c", [], "overdue"))
        conv.flag_only = True
        # The same customer on two topics; only the second is answered.
        person = self.new_person("fr")
        t_first = self.plan("c", [], "overdue")
        self.conversation(person, [_Step("c")], t_first, subject="Commande")
        t_second = self.plan("co", [self.inside()], "any")
        while t_second[0] <= t_first[0] + timedelta(hours=6):
            t_second = self.plan("co", [self.inside()], "any")
        self.conversation(
            person, [_Step("c"), _Step("o")], t_second, subject="Bon cadeau pour Noël"
        )
        # Reply-To differs from From; the owner answers the Reply-To address.
        person = self.new_person("fr", company=True)
        private = self.new_person("fr", company=False)
        person.reply_to = private.email
        self.conversation(person, [_Step("c"), _Step("o")], self.plan("co", [self.inside()], "any"))
        # The owner Bcc'd himself: the reply copy sits in INBOX, not in Sent.
        person = self.new_person()
        self.conversation(
            person,
            [_Step("c"), _Step("o", place="inbox")],
            self.plan("co", [self.inside()], "any"),
        )
        # A French Outlook customer ("RE : ", X-Auto-Response-Suppress on ordinary mail)
        # answered once, then left waiting.
        person = self.new_person("fr", company=True)
        person.client = "outlook_fr"
        times = self.plan(
            "coc", [self.inside(), (timedelta(hours=2), timedelta(days=2))], "overdue"
        )
        again = _Step("c", text="Merci. Pourriez-vous aussi nous envoyer le devis signé ?")
        conv = self.conversation(person, [_Step("c"), _Step("o"), again], times)
        mail = conv.events[-1].mail
        if ("X-Auto-Response-Suppress", "All") not in mail.fields:
            mail.fields.insert(-2, ("X-Auto-Response-Suppress", "All"))
        # A reply drafted but never sent.
        person = self.new_person()
        times = self.plan(
            "cd",
            [(timedelta(minutes=30), timedelta(hours=8))],
            "pending" if self.chance(0.5) else "overdue",
        )
        self.conversation(person, [_Step("c"), _Step("d")], times)
        # A reply stack from German/Swedish/Dutch customers: AW: / SV: / Antw:.
        for lang in ("de", "sv", "nl"):
            person = self.new_person(lang)
            self.regular(person, self.rng.choice(("answered_then_new", "back_and_forth_closed")))
        # A customer answering the owner's newsletter (sent by an ESP, so not in Sent).
        person = self.new_person("fr")
        newsletter_id = self.message_id("thunderbird", "mail.brevo.com")
        stub = _Mail(
            seq=-1,
            key=newsletter_id,
            message_id=newsletter_id,
            fields=[],
            body=b"",
            trace=[],
            places=(),
            flags=[],
            internal=self.as_of - _SPAN,
            chain=(newsletter_id,),
            subject=f"Les nouveautés de novembre - {self.biz.name}",
            thread_index=None,
        )
        answered = self.chance(0.5)
        self.conversation(
            person,
            [_Step("c", text="J'adore la nouvelle collection ! Est-ce disponible en boutique ?")]
            + ([_Step("o")] if answered else []),
            self.plan(
                "co" if answered else "c",
                [self.inside()] if answered else [],
                "any" if answered else "overdue",
            ),
            parent=stub,
        )
        # The same customer, the same bare subject three weeks apart: a new request.
        person = self.new_person("fr")
        old = self.plan("co", [self.inside()], "any")
        while self.as_of - old[0] < timedelta(days=18):
            old = self.plan("co", [self.inside()], "any")
        self.conversation(person, [_Step("c"), _Step("o")], old, subject="Commande")
        recent = self.plan("c", [], "overdue")
        while recent[0] < old[-1] + timedelta(days=7):
            recent = self.plan("c", [], "overdue")
        self.conversation(person, [_Step("c")], recent, subject="Commande")
        # The owner's own vacation responder, its copy kept in Sent: it answers nothing.
        person = self.new_person("fr")
        times = self.plan("c", [], "overdue")
        conv = self.conversation(person, [_Step("c")], times, to_alias=False)
        inbound = conv.events[0].mail
        vacation = self.add(
            sender=self.owner,
            to=[(person.name, person.email)],
            subject=f"Absence : {inbound.subject}",
            text="Je suis en congés jusqu'au 2 novembre. Je vous répondrai à mon retour.",
            at=inbound.internal + timedelta(seconds=self.rng.randint(5, 60)),
            client="bot",
            places=("sent",),
            parent=inbound,
            threading="irt",
            delivered=False,
            extra=[("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
            flags=("\\Seen",),
            truth=Truth(None, None, None, None),
        )
        conv.events.append(_Event("other", vacation))
        # A message the owner trashed without answering: skipped, not overdue.
        person = self.new_person()
        conv = self.conversation(person, [_Step("c", place="trash")], self.plan("c", [], "overdue"))
        self.convs.remove(conv)
        conv.events[0].mail.truth = Truth(None, SKIPPED_FOLDER, None, None)
        conv.events[0].mail.flags = ["\\Seen", "\\Deleted"] if self.chance(0.3) else ["\\Seen"]

    # ---------------------------------------------------------------- automated mail

    def automated(
        self,
        sender: _Person,
        subject: str,
        text: str,
        at: datetime,
        *,
        reason: str,
        extra: Sequence[tuple[str, str]] = (),
        parent: _Mail | None = None,
        client: str = "bot",
        return_path: str | None = None,
        content: tuple[list[tuple[str, str]], bytes] | None = None,
        threading: str | None = None,
        places: tuple[str, ...] = ("inbox",),
        to: tuple[str, str] | None = None,
    ) -> _Mail:
        truth = Truth("not_customer", reason, None, None)
        if reason == SKIPPED_FOLDER:
            truth = Truth(None, SKIPPED_FOLDER, None, None)
        return self.add(
            sender=sender,
            to=[to or (self.owner.name, self.biz.main)],
            subject=subject,
            text=text,
            at=at,
            client=client,
            places=places,
            parent=parent,
            threading=threading,
            delivered=True,
            extra=extra,
            content=content,
            return_path=return_path,
            flags=("\\Seen",) if self.chance(0.6) else (),
            truth=truth,
        )

    def newsletters(self) -> None:
        rng = self.rng
        owner_mail = self.biz.main
        senders = [
            (
                _bot("Fournitures Artisanat Pro", "news@fournitures-artisanat.fr"),
                "Les promos de la semaine : -20 % sur les outils",
                [
                    (
                        "List-Unsubscribe",
                        "<https://r.brevo.com/unsub/8f3a2c>, <mailto:u@brevo.com>",
                    ),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                    ("X-Mailin-Campaign", str(rng.randint(100, 999))),
                    ("X-Mailin-Client", str(rng.randint(1000000, 9999999))),
                    ("Feedback-ID", f"{rng.randint(10, 99)}:{rng.randint(1000000, 9999999)}:brevo"),
                ],
                "mailing_list",
                "bounces-8f3a2c@bounces.brevo.com",
            ),
            (
                _bot("Craft Business Weekly", "hello@craftbusinessweekly.com", "en"),
                "5 ways to price your handmade work",
                [
                    ("List-Id", f"<{rng.randint(10**8, 10**9)}.list-id.mcsv.net>"),
                    ("List-Unsubscribe", "<https://cbw.us1.list-manage.com/unsubscribe?u=abc>"),
                    ("X-MC-User", "9f2c1a0b7d3e4f5a6b7c8d9e0"),
                    ("X-Campaign", f"mailchimp9f2c1a0b7d3e.{rng.randint(10**9, 10**10)}"),
                    ("Precedence", "bulk"),
                ],
                "mailing_list",
                "bounce-mc.us1_1234.5678-owner=example.com@mail42.mcsv.net",
            ),
            (
                _bot("CMA - Chambre de Métiers", "info@cma-region.fr"),
                "Lettre d'information des artisans - novembre",
                [("Precedence", "bulk"), ("X-Mailer", "Sarbacane Software")],
                "bulk",
                None,
            ),
            (
                _bot("Mairie - Marché de Noël", "evenements@mairie-exemple.fr"),
                "Inscriptions au marché de Noël : dernier rappel",
                [
                    ("List-Unsubscribe", "<mailto:sympa@listes.mairie-exemple.fr?subject=unsub>"),
                    ("List-Id", "<exposants.listes.mairie-exemple.fr>"),
                    ("Precedence", "list"),
                ],
                "mailing_list",
                "exposants-owner@listes.mairie-exemple.fr",
            ),
            (
                _bot("Etsy", "no-reply@mail.etsy.com", "en"),
                "Your shop stats for this week",
                [
                    ("List-Unsubscribe", "<https://www.etsy.com/email/unsubscribe?x=1>"),
                    ("X-SG-EID", base64.b64encode(rng.randbytes(24)).decode("ascii")),
                ],
                "mailing_list",
                "bounces+123456-abcd@em.etsy.com",
            ),
            (
                _bot("Kiosque Déco", "newsletter@kiosque-deco.fr"),
                "Tendances déco de l'hiver",
                [
                    ("List-Unsubscribe", "<mailto:unsub-abc@bnc3.mailjet.com>"),
                    ("X-MJ-Mid", base64.b64encode(rng.randbytes(18)).decode("ascii")),
                    ("X-CSA-Complaints", "csa-complaints@eco.de"),
                ],
                "mailing_list",
                "abc@bnc3.mailjet.com",
            ),
        ]
        for person, subject, extra, reason, return_path in senders:
            for _ in range(rng.randint(1, 3)):
                at = self.sample_time(timedelta(hours=2), _SPAN)
                text = (
                    "Découvrez nos offres de la semaine."
                    if person.lang == "fr"
                    else "This week's news."
                )
                self.automated(
                    person,
                    subject,
                    text + "\n\nSe désinscrire / Unsubscribe",
                    at,
                    reason=reason,
                    extra=extra,
                    return_path=return_path,
                    to=("", owner_mail),
                )
        # A post to a local artisans' group by a real person: a list, not a customer.
        poster = self.new_person("fr")
        self.automated(
            poster,
            "[artisans-du-quartier] Qui a un contact pour des cartons d'emballage ?",
            "Bonjour à tous, je cherche un fournisseur de cartons. Merci !",
            self.sample_time(timedelta(hours=5), _SPAN),
            reason="mailing_list",
            client=poster.client,
            extra=[
                ("List-Id", "<artisans-du-quartier.googlegroups.com>"),
                ("List-Post", "<mailto:artisans-du-quartier@googlegroups.com>"),
                ("List-Unsubscribe", "<mailto:artisans-du-quartier+unsubscribe@googlegroups.com>"),
                ("Mailing-list", "list artisans-du-quartier@googlegroups.com"),
                ("Precedence", "list"),
            ],
            return_path="artisans-du-quartier+bncBD@googlegroups.com",
            to=("artisans-du-quartier", "artisans-du-quartier@googlegroups.com"),
        )

    def notifications(self) -> None:
        rng = self.rng
        items = [
            (
                "La Poste",
                "ne-pas-repondre@laposte.fr",
                "fr",
                "Votre colis 6A{n} a été livré",
                [],
                "noreply_sender",
            ),
            (
                "impots.gouv.fr",
                "nepasrepondre@dgfip.finances.gouv.fr",
                "fr",
                "Nouveau message dans votre espace professionnel",
                [],
                "noreply_sender",
            ),
            (
                "Google",
                "no-reply@accounts.google.com",
                "fr",
                "Alerte de sécurité",
                [],
                "noreply_sender",
            ),
            (
                "SumUp",
                "noreply@sumup.com",
                "fr",
                "Votre relevé de transactions du {day}",
                [],
                "noreply_sender",
            ),
            (
                "OVHcloud",
                "facturation@ovh.com",
                "fr",
                "Votre facture OVHcloud FR{n}",
                [("Auto-Submitted", "auto-generated")],
                "auto_submitted",
            ),
            (
                "Stripe",
                "notifications@stripe.com",
                "en",
                "Payout of €{n}.00 is on its way",
                [],
                "noreply_sender",
            ),
            (
                "Shopify",
                "mailer@shopify.com",
                "fr",
                "[Boutique] Nouvelle commande n°{n}",
                [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All")],
                "auto_submitted",
            ),
            (
                "Amazon Business",
                "donotreply@amazon.fr",
                "fr",
                "Votre commande a été expédiée",
                [],
                "noreply_sender",
            ),
        ]
        for name, email, lang, subject, extra, reason in items:
            for _ in range(rng.randint(1, 2)):
                person = _bot(name, email, lang)
                filled = self.fill(subject, lang)
                self.automated(
                    person,
                    filled,
                    "Ceci est un message automatique, merci de ne pas y répondre.",
                    self.sample_time(timedelta(minutes=30), _SPAN),
                    reason=reason,
                    extra=extra,
                )

    def reactions(self) -> None:
        """Auto-replies, receipts, bounces and calendar notices reacting to the owner's mail."""
        rng = self.rng
        replies = [
            mail
            for conv in self.convs
            for event in conv.events
            if event.kind == "reply"
            and (mail := event.mail).internal < self.as_of - timedelta(hours=1)
        ]
        rng.shuffle(replies)
        oof = [
            (
                "Absent du bureau : {s}",
                "Je suis absente jusqu'au 24 novembre.",
                [("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
                "zimbra",
                "full",
            ),
            (
                "Réponse automatique : {s}",
                "Je suis en congés et n'ai pas accès à mes e-mails.",
                [("X-Auto-Response-Suppress", "All")],
                "outlook_fr",
                "full",
            ),
            (
                "Automatic reply: {s}",
                "I am out of the office until Monday.",
                [("X-Auto-Response-Suppress", "All")],
                "outlook",
                "full",
            ),
            (
                "Automatische Antwort: {s}",
                "Ich bin bis zum 25.11. nicht im Büro.",
                [("X-Auto-Response-Suppress", "All")],
                "outlook_de",
                "short",
            ),
            (
                "Congés jusqu'au 2 décembre",
                "Merci pour votre message, je vous répondrai à mon retour.",
                [("Auto-Submitted", "auto-replied")],
                "gmail",
                "full",
            ),
            (
                "Re: {s}",
                "Merci pour votre message. Je suis actuellement absent.",
                [("X-Autorespond", "Message d'absence"), ("Precedence", "auto_reply")],
                "webmail_basic",
                "irt",
            ),
            (
                "Abwesenheitsnotiz: {s}",
                "Vielen Dank für Ihre Nachricht. Ich bin im Urlaub.",
                [("Auto-Submitted", "auto-replied"), ("X-Mail-Autoreply", "yes")],
                "thunderbird",
                "none",
            ),
        ]
        for (template, text, extra, client, threading), reply in zip(oof, replies, strict=False):
            person = self.customer_of(reply)
            at = reply.internal + timedelta(seconds=rng.randint(20, 240))
            self.automated(
                person,
                template.format(s=reply.subject),
                text,
                at,
                reason="auto_reply",
                extra=extra,
                parent=reply,
                client=client,
                threading=threading,
                return_path="" if self.chance(0.5) else None,
            )
        rest = replies[len(oof) :]
        # Read receipts (RFC 8098 MDNs) from customers.
        for (prefix, client), reply in zip(
            (
                ("Lu : ", "outlook_fr"),
                ("Read: ", "outlook"),
                ("Accusé de réception (affiché) - ", "thunderbird"),
            ),
            rest,
            strict=False,
        ):
            person = self.customer_of(reply)
            at = reply.internal + timedelta(minutes=rng.randint(5, 600))
            at = min(at, self.as_of - timedelta(minutes=5))
            self.automated(
                person,
                prefix + reply.subject,
                "",
                at,
                reason="receipt",
                parent=reply,
                client=client,
                threading="irt",
                content=self.report("disposition-notification", reply, person.email),
            )
        self.bounces()
        self.calendar()

    def customer_of(self, reply: _Mail) -> _Person:
        for conv in self.convs:
            if any(e.mail is reply for e in conv.events):
                return conv.person
        raise AssertionError("reply without a conversation")  # pragma: no cover

    def report(
        self, kind: str, original: _Mail, recipient: str
    ) -> tuple[list[tuple[str, str]], bytes]:
        boundary = f"{self.rng.randint(10**8, 10**9)}/mx1.{self.domain}"
        if kind == "delivery-status":
            human = "This is the mail system at host mx1.\r\n\r\nI'm sorry to have to inform you"
            human += " that your message could not be delivered.\r\n"
            machine = f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            machine += (
                f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected\r\n"
            )
            third = "text/rfc822-headers"
        else:
            human = "Votre message a été affiché sur l'ordinateur du destinataire.\r\n"
            machine = f"Final-Recipient: rfc822; {recipient}\r\nDisposition: manual-action/"
            machine += "MDN-sent-manually; displayed\r\n"
            third = "text/rfc822-headers"
        original_head = f"Subject: {encode_words(original.subject)}\r\n"
        if original.message_id:
            original_head += f"Message-ID: <{original.message_id}>\r\n"
        parts = [
            ("text/plain; charset=utf-8", human),
            (f"message/{kind}", machine),
            (third, original_head),
        ]
        raw = b""
        for content_type, text in parts:
            raw += f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n{text}\r\n".encode()
        raw += f"--{boundary}--\r\n".encode()
        return [
            ("Content-Type", f'multipart/report; report-type={kind}; boundary="{boundary}"')
        ], raw

    def bounces(self) -> None:
        rng = self.rng
        variants = [
            (
                _bot("Mail Delivery System", f"MAILER-DAEMON@mx1.{self.domain}", "en"),
                "Undelivered Mail Returned to Sender",
                "none",
                [],
            ),
            (
                _bot("Mail Delivery Subsystem", "mailer-daemon@googlemail.com", "en", "gmail"),
                "Delivery Status Notification (Failure)",
                "full",
                [("X-Failed-Recipients", "{rcpt}")],
            ),
            (
                _bot("Postmaster", "postmaster@outlook.fr", "fr", "outlook_fr"),
                "Non remis : {s}",
                "none",
                [],
            ),
        ]
        for sender, subject, threading, extra in variants[: rng.randint(2, 3)]:
            typo = self.new_person("fr")
            local, domain = typo.email.split("@")
            typo.email = local + "@" + domain.replace("o", "", 1).replace("a", "", 1)
            at = self.sample_time(timedelta(hours=3), _SPAN - timedelta(days=1))
            out_subject = self.rng.choice(
                ("Votre devis", "Confirmation de votre commande", "Facture")
            )
            out = self.add(
                sender=self.owner,
                to=[(typo.name, typo.email)],
                subject=out_subject,
                text=f"Bonjour,\n\nVeuillez trouver ci-joint le document.\n\n{self.owner.first}",
                at=at,
                client=self.owner.client,
                places=("sent",),
                delivered=False,
                flags=("\\Seen",),
                truth=Truth(None, None, None, None),
            )
            self.automated(
                sender,
                subject.format(s=out_subject),
                "",
                at + timedelta(seconds=rng.randint(3, 90)),
                reason="bounce",
                extra=[(n, v.format(rcpt=typo.email)) for n, v in extra],
                parent=out,
                client=sender.client,
                threading=threading,
                return_path="",
                content=self.report("delivery-status", out, typo.email),
            )

    def calendar(self) -> None:
        rng = self.rng
        guest = self.new_person("fr")
        at = self.sample_time(timedelta(hours=3), _SPAN)
        when = local_time(at + timedelta(days=3), "paris").strftime("%d/%m/%Y")
        ics = (
            "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{guest.email}\r\nSUMMARY:Rendez-vous\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        self.automated(
            guest,
            f"Accepted: Rendez-vous à l'atelier @ {when} 14:00 - 15:00 (CET) ({self.biz.main})",
            "",
            at,
            reason="calendar",
            client="gmail",
            extra=[("Sender", "Google Agenda <calendar-notification@google.com>")],
            content=(
                [
                    ("Content-Type", 'text/calendar; charset="UTF-8"; method=REPLY'),
                    ("Content-Transfer-Encoding", "7bit"),
                ],
                ics.encode(),
            ),
        )
        guest = self.new_person("fr", company=True)
        at = self.sample_time(timedelta(hours=3), _SPAN)
        self.automated(
            guest,
            rng.choice(("Accepté : Visite de l'atelier", "Refusé : Visite de l'atelier")),
            "",
            at,
            reason="calendar",
            client="outlook_fr",
        )
        guest = self.new_person("en")
        at = self.sample_time(timedelta(hours=3), _SPAN)
        self.automated(
            guest,
            "Tentative: Workshop visit",
            "",
            at,
            reason="calendar",
            client="outlook",
            content=(
                [
                    ("Content-Type", 'text/calendar; charset="utf-8"; method=REPLY'),
                    ("Content-Transfer-Encoding", "7bit"),
                ],
                ics.replace("ACCEPTED", "TENTATIVE").encode(),
            ),
        )

    def odds_and_ends(self) -> None:
        """Mail to oneself, spam, and junk."""
        at = self.sample_time(timedelta(hours=2), _SPAN)
        note = self.add(
            sender=self.owner,
            to=[(self.owner.name, self.biz.main)],
            subject="Pense-bête : commander les fournitures",
            text="Appeler le fournisseur avant jeudi.",
            at=at,
            client=self.owner.client,
            places=("inbox", "sent"),
            delivered=True,
            flags=("\\Seen",),
            truth=Truth("not_customer", "from_me", None, None),
        )
        note.sent_copy_plain = True
        alias_sender = _Person(self.biz.name, self.biz.alias, "fr", self.owner.client, "paris")
        at = self.sample_time(timedelta(hours=2), _SPAN)
        note = self.add(
            sender=alias_sender,
            to=[(self.owner.name, self.biz.main.upper())],
            subject="Test signature boutique",
            text="Test.",
            at=at,
            client=self.owner.client,
            places=("inbox", "sent"),
            delivered=True,
            flags=("\\Seen",),
            truth=Truth("not_customer", "from_me", None, None),
        )
        note.sent_copy_plain = True
        # Spam the filter tagged but left in INBOX.
        spammer = _Person(
            "Service Client", "support@colis-attente-info.top", "fr", "webmail_basic", "utc"
        )
        self.automated(
            spammer,
            "***SPAM*** Votre colis est en attente de livraison",
            "Réglez 1,99 € de frais pour recevoir votre colis.",
            self.sample_time(timedelta(hours=2), _SPAN),
            reason="spam",
            client="webmail_basic",
            extra=[("X-Spam-Flag", "YES"), ("X-Spam-Status", "Yes, score=9.8 required=5.0")],
        )
        # Spam moved to Junk, and a phishing that looks like a customer: both skipped.
        for subject in ("Re: Devis", "Question urgente sur votre facture"):
            fake = self.new_person("en")
            self.automated(
                fake,
                subject,
                "Please open the attached invoice.",
                self.sample_time(timedelta(hours=2), _SPAN),
                reason=SKIPPED_FOLDER,
                client=fake.client,
                places=("junk",),
                extra=[("X-Spam-Flag", "YES")],
            )


def generate(
    seed: int,
    layout: str,
    *,
    customers: int = 40,
    as_of: datetime = DEFAULT_AS_OF,
    sla: timedelta = DEFAULT_SLA,
    elsewhere: bool = False,
) -> GeneratedMailbox:
    """A month of a small business's mail, with its truth. Same seed → same bytes.

    `customers` ordinary customers each get a conversation (a few get two); about twenty more
    people come with the traps, and the automated mail comes on top. `elsewhere` adds replies
    sent elsewhere than to the customer (a group address, their other address, their
    assistant), forwards that answer nobody, and colleagues' mail (Gen.elsewhere); without
    it a seed gives the mailbox it always gave.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be aware")
    gen = _Gen(seed, layout, as_of, sla)
    kinds = {
        "in_time": 28,
        "late": 12,
        "pending": 9,
        "overdue": 13,
        "followup_answered": 7,
        "followup_unanswered": 4,
        "answered_then_new": 7,
        "back_and_forth": 4,
        "back_and_forth_closed": 4,
        "two_replies": 4,
        "forward_then_answer": 3,
        "crossing": 3,
        "owner_initiated": 5,
    }
    names, weights = list(kinds), list(kinds.values())
    folder_customers = min(3, customers // 8)
    for index in range(customers):
        person = gen.new_person()
        folder: str | None = None
        if index < folder_customers and person.name:
            folder = person.name.split(" ")[-1]
            if folder in gen.client_folders:
                folder = None
            else:
                gen.client_folders.append(folder)
        kind = gen.rng.choices(names, weights)[0]
        if kind == "owner_initiated" and folder is None:
            gen.owner_initiated(person)
        else:
            gen.regular(person, "in_time" if kind == "owner_initiated" else kind, folder)
        if gen.chance(0.08):  # a second, unrelated request some days apart
            gen.regular(person, gen.rng.choice(("in_time", "late", "overdue", "pending")), folder)
    gen.traps()
    if elsewhere:
        gen.elsewhere()
    gen.newsletters()
    gen.notifications()
    gen.odds_and_ends()
    gen.reactions()
    gen.resolve()
    return gen.mailbox()


# --------------------------------------------------------------------------- Maildir++

_MAILDIR_FLAGS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}


def maildir_folder(name: str) -> str:
    """The Maildir++ directory of a folder: "" for INBOX, else "." + mUTF-7 name, "/" → "."."""
    if name.upper() == "INBOX":
        return ""
    return "." + imap_utf7(name).replace("/", ".")


def write_maildir(box: GeneratedMailbox, root: Path) -> None:
    """Write the mailbox as a Maildir++ store as Dovecot lays it out.

    INBOX is `root` itself, other folders `.Name` (mUTF-7, "/" → "."), every message in `cur/`
    with its flags in the name (`:2,RS`). Names start with the internal date so that readers
    which ignore mtimes still know the delivery time; the mtime is set to it too. Files use LF
    line endings, like every MDA writes Maildir.
    """
    root.mkdir(parents=True, exist_ok=True)
    for folder in box.folders():
        directory = root / maildir_folder(folder) if maildir_folder(folder) else root
        for sub in ("cur", "new", "tmp"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        if directory != root:
            (directory / "maildirfolder").touch()
    counters: Counter[str] = Counter()
    for message in box.messages:
        sub = maildir_folder(message.folder)
        directory = (root / sub if sub else root) / "cur"
        counters[message.folder] += 1
        stamp = int(message.internal_date.timestamp())
        letters = "".join(sorted(_MAILDIR_FLAGS[f] for f in message.flags if f in _MAILDIR_FLAGS))
        name = f"{stamp}.M{counters[message.folder]:06d}P0.mailgen:2,{letters}"
        path = directory / name
        path.write_bytes(message.data.replace(b"\r\n", b"\n"))
        os.utime(path, (stamp, stamp))


def summarize(box: GeneratedMailbox) -> dict[str, int]:
    """How many logical messages have each expected status (and reason), e.g. for reports."""
    counts: Counter[str] = Counter()
    for truth in box.truth.values():
        if truth.status == "not_customer":
            counts[f"not_customer:{truth.reason_kind}"] += 1
        elif truth.status is None:
            counts["skipped_folder" if truth.reason_kind == SKIPPED_FOLDER else "outbound"] += 1
        else:
            counts[truth.status] += 1
            if truth.status == "answered" and truth.latency_seconds is None:
                counts["answered_by_flag_only"] += 1
            elif (
                truth.status == "answered"
                and truth.latency_seconds is not None
                and truth.latency_seconds > box.sla.total_seconds()
            ):
                counts["answered_late"] += 1
    return dict(sorted(counts.items()))
