"""Write demo/mailbox: Atelier Lumière's hand-written mailbox, plus what an audit must find.

Run with a bare `python3 scripts/make_demo.py` (stdlib only). It removes and rewrites
demo/mailbox (a Maildir++ store), demo/EXPECTED.md and demo/truth.json, nothing else. The
audit to try it with:

    inbox-audit audit demo/mailbox --me claire@atelier-lumiere.fr \\
        --me contact@atelier-lumiere.fr --as-of 2026-11-20T09:00:00+01:00
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mailgen import (  # noqa: E402 - the repository root is only now on the path
    GeneratedMailbox,
    GenMessage,
    Truth,
    date_header,
    encode_words,
    format_address,
    render_message,
    summarize,
    text_body,
    write_maildir,
)

AS_OF = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=1)))
SLA = timedelta(hours=24)
DOMAIN = "atelier-lumiere.fr"
CLAIRE = "claire@atelier-lumiere.fr"
CONTACT = "contact@atelier-lumiere.fr"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    client: str = "thunderbird"  # decides Message-ID style, prefixes' look, extra headers
    zone: str = "paris"
    charset: str = "utf-8"
    encoding: str = "Q"


P = {
    "claire": Person("Claire Vasseur", CLAIRE),
    "contact": Person("Atelier Lumière", CONTACT),
    "leo": Person("Léo Garnier", "leo@atelier-lumiere.fr"),
    "marie": Person("Marie Dubois", "marie.dubois@orange.fr", "orange", charset="iso-8859-1"),
    "thomas": Person("Thomas Girard", "t.girard@free.fr", "apple"),
    "sophie": Person("Sophie Lemaire", "s.lemaire@hotel-beaumont.fr", "outlook", encoding="B"),
    "emma": Person("Emma Clarke", "Emma.Clarke@btinternet.com", "apple", zone="london"),
    "julien": Person("Julien Fabre", "julien.fabre@gmail.com", "gmail", encoding="B"),
    "nathalie": Person(
        "Nathalie Roché", "nathalie.roche@wanadoo.fr", "orange", charset="iso-8859-1"
    ),
    "james": Person("James Whitfield", "james@whitfield-studio.co.uk", "outlook", zone="london"),
    "camille": Person("Camille Martin", "camille.martin@gmail.com", "gmail", encoding="B"),
    "paul": Person("Paul Lefèvre", "p.lefevre@laposte.net", "webmail", charset="iso-8859-1"),
    "ines": Person("Inès Morel", "ines.morel@yahoo.fr", "yahoo", encoding="B"),
    "agnes": Person("Agnès Vidal", "agnes.vidal@sfr.fr", "thunderbird"),
    "bernard": Person("Bernard, Jean-Luc", "jl.bernard@cabinet-bernard.fr", "outlook"),
    "anke": Person("Anke Schröder", "anke@studio-nord.de", "outlook_de", encoding="B"),
    "lucie": Person("Lucie Caron", "lucie.caron@icloud.com", "apple"),
    "hugo": Person("Hugo Perrin", "hugo.perrin@gmail.com", "gmail", encoding="B"),
    "chloe": Person("Chloé Besnard", "chloe.besnard@hotmail.fr", "outlook"),
    "rachid": Person("Rachid Benali", "rachid.benali@free.fr", "thunderbird"),
    "mairie_list": Person("Ateliers d'Art de France", "lettre@ateliersdart.example", "bot"),
    "etsy": Person("Etsy", "no-reply@mail.etsy.com", "bot"),
    "ceram": Person("Céram'Fournitures", "promo@ceramfournitures.fr", "bot", encoding="B"),
    "mo": Person("Maison&Objet", "newsletter@maison-objet.example", "bot"),
    "laposte": Person("La Poste - Colissimo", "ne-pas-repondre@laposte.fr", "bot"),
    "sumup": Person("SumUp", "noreply@sumup.com", "bot"),
    "ovh": Person("OVHcloud", "facturation@ovh.com", "bot"),
    "impots": Person("impots.gouv.fr", "nepasrepondre@dgfip.finances.gouv.fr", "bot"),
    "daemon": Person("Mail Delivery System", f"MAILER-DAEMON@mx1.{DOMAIN}", "bot"),
    "spam": Person("Service Colis", "suivi@colis-livraison-info.top", "bot"),
}


@dataclass
class Entry:
    """One hand-written message."""

    handle: str
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str
    when: str  # Paris local time, "2026-11-12 10:14"
    folders: tuple[str, ...]
    parent: str | None = None
    threaded: bool = True  # write In-Reply-To/References when there is a parent
    answers: tuple[str, ...] = ()  # customer messages this reply answers
    reason: str | None = None  # for automated / non-customer mail
    skipped: bool = False  # sits only in Drafts / Trash / Junk
    extra: tuple[tuple[str, str], ...] = ()
    content: tuple[list[tuple[str, str]], bytes] | None = None
    return_path: str | None = None
    flags: tuple[str, ...] = ("\\Seen",)
    chain: tuple[str, ...] = field(default=(), init=False)
    message_id: str = field(default="", init=False)


def at(text: str) -> datetime:
    """Paris local time → aware UTC (November: UTC+1; late October: UTC+2)."""
    local = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    offset = (
        timedelta(hours=2) if local < datetime(2026, 10, 25, 3, tzinfo=UTC) else timedelta(hours=1)
    )
    return local - offset


def digest(handle: str, size: int = 16) -> str:
    return hashlib.sha256(f"atelier-lumiere/{handle}".encode()).hexdigest()[:size]


def message_id(entry: Entry, person: Person) -> str:
    h = digest(entry.handle, 32)
    domain = person.email.split("@")[1].lower()
    if person.client == "gmail":
        raw = hashlib.sha256(entry.handle.encode()).digest()
        return "CA" + base64.b64encode(raw).decode("ascii").rstrip("=") + "@mail.gmail.com"
    if person.client.startswith("outlook"):
        box = "PR3P" + h[:3].upper() + "MB" + str(int(h[3:7], 16) % 9000 + 1000)
        return f"{box}{h[7:31].upper()}@{box}.eurprd09.prod.outlook.com"
    if person.client == "apple":
        u = h.upper()
        return f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}@{domain}"
    if person.client == "orange":
        n = int(h[:12], 16)
        host = "opme11oxm02nd1.rouen.francetelecom.fr"
        return f"{n % 10**9}.{n % 99991}.{1762000000000 + n % 10**9}.JavaMail.open-xchange@{host}"
    if person.client == "yahoo":
        n = int(h[:12], 16)
        return f"{n % 10**9}.{n % 10**7}.{1762000000000 + n % 10**9}@mail.yahoo.com"
    if person.client == "bot":
        return f"{h[:12]}.{h[12:24]}@{domain}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}@{domain}"


CLIENT_HEADERS = {
    "thunderbird": (
        (
            "User-Agent",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:128.0) Gecko/20100101"
            " Thunderbird/128.4.2",
        ),
        ("Content-Language", "fr"),
    ),
    "apple": (("X-Mailer", "Apple Mail (2.3776.700.51)"),),
    "outlook": (("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")),
    "outlook_de": (("X-MS-Has-Attach", ""), ("Content-Language", "de-DE")),
    "orange": (("X-Originating-IP", "[90.112.4.18]"),),
    "yahoo": (("X-Mailer", "WebService/1.1.22806 YMailNorrin"),),
    "webmail": (("X-Mailer", "SquirrelMail/1.4.23"),),
    "mobile": (("X-Mailer", "Android Mail 8.1"),),
}


SIG = "Claire Vasseur\nAtelier Lumière - céramique & luminaires\n12 rue des Potiers, 69001 Lyon"


def customer(handle: str, who: str, subject: str, body: str, when: str, *,
             folder: str = "INBOX", parent: str | None = None, to: str = "claire",
             flags: tuple[str, ...] = ("\\Seen",), threaded: bool = True) -> Entry:  # fmt: skip
    return Entry(handle, who, (to,), subject, body, when, (folder,), parent, threaded, flags=flags)


def reply(handle: str, to: str, subject: str, body: str, when: str, *, parent: str,
          answers: tuple[str, ...], sender: str = "claire", folder: str = "Sent",
          threaded: bool = True) -> Entry:  # fmt: skip
    body = f"{body}\n\n{SIG if sender != 'contact' else 'L’équipe de l’Atelier Lumière'}"
    return Entry(handle, sender, (to,), subject, body, when, (folder,), parent, threaded, answers)


def auto(handle: str, who: str, subject: str, body: str, when: str, reason: str, *,
         extra: tuple[tuple[str, str], ...] = (), parent: str | None = None,
         return_path: str | None = None, folder: str = "INBOX",
         content: tuple[list[tuple[str, str]], bytes] | None = None,
         flags: tuple[str, ...] = ("\\Seen",)) -> Entry:  # fmt: skip
    return Entry(
        handle, who, ("claire",), subject, body, when, (folder,), parent, reason=reason,
        skipped=reason == "skipped_folder", extra=extra, content=content,
        return_path=return_path, flags=flags,
    )  # fmt: skip


def report(kind: str, lines: str, original_subject: str) -> tuple[list[tuple[str, str]], bytes]:
    boundary = f"{digest(kind + original_subject, 10)}/mx1.{DOMAIN}"
    human = (
        "Ceci est le système de messagerie de mx1.atelier-lumiere.fr.\r\n\r\n"
        "Votre message n'a pas pu être remis à un ou plusieurs destinataires.\r\n"
        if kind == "delivery-status"
        else "Votre message a été lu.\r\n"
    )
    parts = [
        ("text/plain; charset=utf-8", human),
        (f"message/{kind}", lines),
        ("text/rfc822-headers", f"Subject: {encode_words(original_subject)}\r\n"),
    ]
    raw = b"".join(
        f"--{boundary}\r\nContent-Type: {ctype}\r\n\r\n{text}\r\n".encode() for ctype, text in parts
    )
    raw += f"--{boundary}--\r\n".encode()
    return [("Content-Type", f'multipart/report; report-type={kind}; boundary="{boundary}"')], raw


def story() -> list[Entry]:
    """A month of Atelier Lumière's mail, oldest first. Times are Paris local time."""
    return [
        # --- Late October, long since archived.
        customer("hugo1", "hugo", "Réparation d'une lampe ancienne",
                 "Bonjour,\n\nJ'ai hérité d'une lampe en grès des années 60 dont le pied est fêlé. "
                 "Est-ce que vous faites ce genre de réparation ?\n\nMerci,\nHugo Perrin",
                 "2026-10-22 18:40", folder="Archives"),
        reply("hugo1r", "hugo", "Re: Réparation d'une lampe ancienne",
              "Bonjour Hugo,\n\nOui, c'est possible si la fêlure ne traverse pas tout le pied. "
              "Passez à l'atelier avec la lampe, je vous ferai un devis sur place.",
              "2026-10-23 09:15", parent="hugo1", answers=("hugo1",)),
        auto("lettre1", "mairie_list", "La lettre des métiers d'art - octobre",
             "Salons, appels à candidatures et formations du mois.\n\nSe désabonner",
             "2026-10-26 07:00", "mailing_list",
             extra=(("List-Id", "<lettre.ateliersdart.example>"),
                    ("List-Unsubscribe", "<https://ateliersdart.example/desabo?u=8812>"),
                    ("Precedence", "bulk"))),
        customer("rachid1", "rachid", "Atelier poterie pour un anniversaire",
                 "Bonjour,\n\nOrganisez-vous des ateliers pour enfants ? Ma fille fête ses "
                 "10 ans le 21 novembre.\n\nRachid", "2026-10-28 20:05", folder="Archives"),
        reply("rachid1r", "rachid", "Re: Atelier poterie pour un anniversaire",
              "Bonjour Rachid,\n\nMalheureusement nous n'accueillons pas d'ateliers enfants, "
              "mais je peux vous conseiller La Terre Ferme, rue Burdeau.",
              "2026-10-30 10:20", parent="rachid1", answers=("rachid1",)),
        # --- Hôtel Beaumont: a big order, a long thread in its own folder.
        customer("sophie1", "sophie", "Commande de 24 appliques pour la rénovation",
                 "Bonjour Madame Vasseur,\n\nSuite à notre échange au salon, nous souhaitons "
                 "commander 24 appliques Galet pour les chambres du 2e étage. Pourriez-vous nous "
                 "faire parvenir un devis ?\n\nBien cordialement,\nSophie Lemaire\nDirectrice, "
                 "Hôtel Beaumont", "2026-11-02 11:02", folder="Clients/Hôtel Beaumont"),
        reply("sophie1r", "sophie", "RE: Commande de 24 appliques pour la rénovation",
              "Bonjour Madame Lemaire,\n\nMerci pour votre confiance. Vous trouverez le devis "
              "ci-joint : 24 appliques Galet, émail blanc cassé, livraison sous 5 semaines.",
              "2026-11-03 09:30", parent="sophie1", answers=("sophie1",)),
        customer("sophie2", "sophie", "RE: Commande de 24 appliques pour la rénovation",
                 "Bonjour,\n\nMerci pour le devis. Est-il possible d'avoir deux teintes "
                 "différentes (blanc et céladon) sans surcoût ?\n\nSophie Lemaire",
                 "2026-11-05 15:48", folder="Clients/Hôtel Beaumont", parent="sophie1r"),
        reply("sophie2r", "sophie", "RE: Commande de 24 appliques pour la rénovation",
              "Bonjour Madame Lemaire,\n\nOui, sans surcoût à partir de 12 pièces par teinte. "
              "Je vous envoie le devis modifié.", "2026-11-09 17:05",
              parent="sophie2", answers=("sophie2",)),
        auto("sophie_oof", "sophie",
             "Réponse automatique : RE: Commande de 24 appliques pour la rénovation",
             "Je suis absente jusqu'au 11 novembre inclus. Urgences : reception@hotel-beaumont.fr",
             "2026-11-09 17:06", "auto_reply", parent="sophie2r",
             extra=(("X-Auto-Response-Suppress", "All"),), folder="Clients/Hôtel Beaumont"),
        auto("sophie_read", "sophie", "Lu : RE: Commande de 24 appliques pour la rénovation", "",
             "2026-11-12 08:31", "receipt", parent="sophie2r", folder="Clients/Hôtel Beaumont",
             content=report("disposition-notification",
                            "Final-Recipient: rfc822; s.lemaire@hotel-beaumont.fr\r\n"
                            "Disposition: manual-action/MDN-sent-manually; displayed\r\n",
                            "RE: Commande de 24 appliques pour la rénovation")),
        auto("sophie_cal", "sophie", "Accepté : Visite de l'atelier - Hôtel Beaumont", "",
             "2026-11-12 08:40", "calendar", folder="Clients/Hôtel Beaumont"),
        customer("sophie3", "sophie", "RE: Commande de 24 appliques pour la rénovation",
                 "Bonjour,\n\nBon pour accord sur le devis modifié. Pouvez-vous me confirmer le "
                 "planning de livraison ? Les travaux reprennent le 7 décembre.\n\nSophie Lemaire",
                 "2026-11-18 16:20", folder="Clients/Hôtel Beaumont", parent="sophie2r"),
        # --- James Whitfield: answered late, then a quick second round.
        customer("james1", "james", "Custom order - 6 pendant shades",
                 "Hello Claire,\n\nI run a small design studio in Bath. Could you make six "
                 "pendant shades in your speckled glaze, about 30 cm wide? What lead time "
                 "should I expect?\n\nBest,\nJames", "2026-11-04 10:12"),
        reply("james1r", "james", "Re: Custom order - 6 pendant shades",
              "Hello James,\n\nYes, happily. Six shades at 30 cm take about four weeks; "
              "I attach a quote with shipping to Bath.", "2026-11-06 16:45",
              parent="james1", answers=("james1",)),
        customer("james2", "james", "RE: Custom order - 6 pendant shades",
                 "Great, thanks. Can you ship them to our London office instead?\n\nJames",
                 "2026-11-06 17:30", parent="james1r"),
        reply("james2r", "james", "Re: Custom order - 6 pendant shades",
              "Of course, same price. I'll send them to London.", "2026-11-06 19:02",
              parent="james2", answers=("james2",)),
        auto("james_oof", "james", "Automatic reply: Re: Custom order - 6 pendant shades",
             "I am travelling until 16 November with limited access to email.",
             "2026-11-06 19:03", "auto_reply", parent="james2r",
             extra=(("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"))),
        # --- Studio Nord (German customer, AW: prefixes), in its own folder.
        customer("anke1", "anke", "Anfrage: Keramikleuchten für unseren Showroom",
                 "Sehr geehrte Frau Vasseur,\n\nwir interessieren uns für zehn Tischleuchten "
                 "aus Ihrer Kollektion Nuage. Liefern Sie auch nach Hamburg?\n\nMit freundlichen "
                 "Grüßen\nAnke Schröder", "2026-11-03 08:50", folder="Clients/Studio Nord"),
        reply("anke1r", "anke", "Re: Anfrage: Keramikleuchten für unseren Showroom",
              "Dear Ms Schröder,\n\nYes, we deliver to Hamburg; ten Nuage lamps would ship "
              "within three weeks. Quote attached.", "2026-11-03 14:10",
              parent="anke1", answers=("anke1",), folder="Clients/Studio Nord"),
        customer("anke2", "anke", "AW: Anfrage: Keramikleuchten für unseren Showroom",
                 "Dear Ms Vasseur,\n\nthank you. Could you add two floor lamps to the quote?\n\n"
                 "Anke Schröder", "2026-11-05 09:12", folder="Clients/Studio Nord",
                 parent="anke1r"),
        reply("anke2r", "anke", "Re: AW: Anfrage: Keramikleuchten für unseren Showroom",
              "Dear Ms Schröder,\n\nHere is the updated quote with two floor lamps.",
              "2026-11-05 12:30", parent="anke2", answers=("anke2",), folder="Clients/Studio Nord"),
        # --- Agnès Vidal: an order question answered three days later.
        customer("agnes1", "agnes", "Commande n°1187 - date d'expédition ?",
                 "Bonjour,\n\nJ'ai commandé deux bols et un vase sur votre site le 2 novembre "
                 "(commande n°1187). Savez-vous quand ils seront expédiés ?\n\nAgnès Vidal",
                 "2026-11-06 08:35"),
        reply("agnes1r", "agnes", "Re: Commande n°1187 - date d'expédition ?",
              "Bonjour Agnès,\n\nToutes mes excuses pour ce délai : votre colis part ce lundi "
              "en Colissimo, vous recevrez le suivi par e-mail.", "2026-11-09 10:05",
              parent="agnes1", answers=("agnes1",)),
        auto("colis1", "laposte", "Votre colis 6A21004871233 est en route",
             "Votre colis est pris en charge par La Poste.\nCeci est un message automatique.",
             "2026-11-09 19:12", "noreply_sender"),
        # --- Paul (answered) and Inès (waiting): both wrote "Question".
        customer("paul1", "paul", "Question",
                 "Bonjour,\n\nVos suspensions sont-elles compatibles avec des ampoules LED "
                 "à variateur ?\n\nPaul Lefèvre", "2026-11-10 13:22"),
        reply("paul1r", "paul", "Re: Question",
              "Bonjour Paul,\n\nOui, toutes nos suspensions acceptent les ampoules LED E27 "
              "dimmables.", "2026-11-10 17:50", parent="paul1", answers=("paul1",)),
        # --- Jean-Luc Bernard (a comma in his display name).
        customer("bernard1", "bernard", "Luminaires pour nos bureaux",
                 "Bonjour,\n\nNous réaménageons nos bureaux (cabinet de 8 personnes) et "
                 "cherchons des suspensions pour la salle de réunion. Pourrions-nous passer à "
                 "l'atelier jeudi ?\n\nJean-Luc Bernard", "2026-11-11 09:40"),
        reply("bernard1r", "bernard", "RE: Luminaires pour nos bureaux",
              "Bonjour Monsieur Bernard,\n\nAvec plaisir, jeudi à 14 h vous convient-il ?",
              "2026-11-11 11:15", parent="bernard1", answers=("bernard1",)),
        # --- Two different customers write "Devis" a day apart; only Marie gets an answer,
        # from Claire's phone, which drops In-Reply-To and References.
        customer("marie1", "marie", "Devis",
                 "Bonjour,\n\nJe refais ma cuisine et j'aimerais un devis pour trois "
                 "suspensions Galet au-dessus de l'îlot, émail bleu nuit.\n\nMarie Dubois",
                 "2026-11-12 20:14"),
        customer("thomas1", "thomas", "Devis",
                 "Bonjour,\n\nPourriez-vous me faire un devis pour un pied de lampe en grès "
                 "(environ 40 cm), je fournis l'abat-jour ?\n\nMerci,\nThomas Girard",
                 "2026-11-13 08:55"),
        reply("marie1r", "marie", "Re: Devis",
              "Bonjour Marie,\n\nPour trois suspensions Galet bleu nuit : 3 x 145 €, "
              "livraison offerte sur Lyon. Je vous envoie la facture pro forma ce soir.\n\n"
              "Envoyé de mon téléphone", "2026-11-13 17:40", parent="marie1",
              answers=("marie1",), threaded=False),
        Entry("proforma_typo", "claire", ("marie_typo",), "Facture pro forma - 3 suspensions Galet",
              "Bonjour Marie,\n\nVoici la facture pro forma.\n\n" + SIG, "2026-11-13 21:10",
              ("Sent",)),
        auto("bounce1", "daemon", "Undelivered Mail Returned to Sender", "",
             "2026-11-13 21:10", "bounce", return_path="",
             content=report("delivery-status",
                            "Final-Recipient: rfc822; marie.dubios@orange.fr\r\nAction: failed\r\n"
                            "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n",
                            "Facture pro forma - 3 suspensions Galet")),
        Entry("proforma", "claire", ("marie",), "Facture pro forma - 3 suspensions Galet",
              "Bonjour Marie,\n\nVoici la facture pro forma (la première adresse était "
              "erronée).\n\n" + SIG, "2026-11-13 21:16", ("Sent",)),
        # --- Lucie: Claire drafted an answer and never sent it.
        customer("lucie1", "lucie", "Rendez-vous à l'atelier",
                 "Bonjour Claire,\n\nJe voudrais voir vos lampes de chevet en vrai avant de "
                 "commander. Seriez-vous là samedi 21 ou samedi 28 ?\n\nLucie",
                 "2026-11-14 09:05"),
        Entry("lucie_draft", "claire", ("lucie",), "Re: Rendez-vous à l'atelier",
              "Bonjour Lucie,\n\nSamedi 21 je suis", "2026-11-14 12:30", ("Drafts",), "lucie1",
              skipped=True, flags=("\\Draft", "\\Seen")),
        # --- Chloé: written on a Sunday, answered Monday morning (inside 24 h).
        customer("chloe1", "chloe", "Disponibilité suspension Galet céladon",
                 "Bonjour,\n\nLa suspension Galet céladon est-elle disponible ? Je pourrais "
                 "passer la chercher cette semaine.\n\nChloé", "2026-11-15 11:40"),
        reply("chloe1r", "chloe", "Re: Disponibilité suspension Galet céladon",
              "Bonjour Chloé,\n\nOui, il m'en reste deux. Je vous en mets une de côté jusqu'à "
              "samedi.", "2026-11-16 09:30", parent="chloe1", answers=("chloe1",)),
        # --- Nathalie: a damaged lamp, forwarded to Léo, never answered; she followed up.
        customer("nathalie1", "nathalie", "Lampe Nuage abîmée à la livraison",
                 "Bonjour,\n\nJ'ai reçu la lampe Nuage ce matin mais l'abat-jour est ébréché "
                 "(photo jointe). Comment procède-t-on ?\n\nNathalie Roché",
                 "2026-11-16 09:12"),
        Entry("nathalie_fwd", "claire", ("leo",), "TR : Lampe Nuage abîmée à la livraison",
              "Léo, tu peux regarder s'il nous reste un abat-jour Nuage en stock ?\n\n"
              "-------- Message transféré --------\nDe : Nathalie Roché", "2026-11-16 10:02",
              ("Sent",), "nathalie1"),
        customer("nathalie2", "nathalie", "Re: Lampe Nuage abîmée à la livraison",
                 "Bonjour,\n\nJe me permets de vous relancer : je n'ai pas eu de réponse.\n\n"
                 "Nathalie Roché", "2026-11-18 11:03", parent="nathalie1"),
        # --- Camille writes to contact@, the shop answers from contact@.
        customer("camille1", "camille", "Bon cadeau pour Noël",
                 "Bonjour,\n\nJe voudrais offrir un bon cadeau de 80 € pour un stage "
                 "d'initiation. Comment faire ?\n\nCamille", "2026-11-17 12:10", to="contact"),
        reply("camille1r", "camille", "Re: Bon cadeau pour Noël",
              "Bonjour Camille,\n\nC'est très simple : je vous envoie le bon en PDF dès "
              "réception du virement. Les coordonnées bancaires sont ci-dessous.",
              "2026-11-17 14:25", parent="camille1", answers=("camille1",), sender="contact"),
        # --- Waiting since yesterday: pending.
        customer("ines1", "ines", "Question",
                 "Bonjour,\n\nEst-ce que vous proposez la livraison en Belgique ? Et à quel "
                 "tarif ?\n\nInès", "2026-11-19 14:10", flags=()),
        customer("emma1", "emma", "Shipping a lamp to the UK?",
                 "Hi Claire,\n\nI love the Nuage table lamp. Do you ship to the UK, and would "
                 "it come with a UK plug?\n\nThanks!\nEmma", "2026-11-19 18:05", flags=()),
        customer("julien1", "julien", "Atelier découverte samedi ?",
                 "Salut Claire,\n\nReste-t-il une place pour l'atelier découverte de samedi "
                 "matin ?\n\nJulien", "2026-11-19 21:30", flags=()),
        # --- Automated and non-customer mail.
        auto("etsy1", "etsy", "Your shop stats for the week",
             "You had 212 visits and 3 orders this week.", "2026-11-02 15:00", "mailing_list",
             extra=(("List-Unsubscribe", "<https://www.etsy.com/email/unsubscribe?x=91>"),
                    ("Feedback-ID", "weekly-stats:etsy"))),
        auto("etsy2", "etsy", "Your shop stats for the week",
             "You had 187 visits and 2 orders this week.", "2026-11-09 15:00", "mailing_list",
             extra=(("List-Unsubscribe", "<https://www.etsy.com/email/unsubscribe?x=92>"),
                    ("Feedback-ID", "weekly-stats:etsy"))),
        auto("etsy3", "etsy", "Your shop stats for the week",
             "You had 240 visits and 5 orders this week.", "2026-11-16 15:00", "mailing_list",
             extra=(("List-Unsubscribe", "<https://www.etsy.com/email/unsubscribe?x=93>"),
                    ("Feedback-ID", "weekly-stats:etsy"))),
        auto("ceram1", "ceram", "-15 % sur les émaux jusqu'à dimanche",
             "Profitez de -15 % sur toute la gamme d'émaux haute température.",
             "2026-11-05 06:30", "mailing_list",
             extra=(("List-Unsubscribe", "<https://r.brevo.example/unsub/4411>, "
                                         "<mailto:unsub-4411@brevo.example>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                    ("X-Mailin-Campaign", "4411")), return_path="bounces-4411@brevo.example"),
        auto("ceram2", "ceram", "Nouveaux kaolins en stock",
             "Arrivage de kaolins et de grès chamottés.", "2026-11-17 06:30", "mailing_list",
             extra=(("List-Unsubscribe", "<https://r.brevo.example/unsub/4502>"),
                    ("X-Mailin-Campaign", "4502")), return_path="bounces-4502@brevo.example"),
        auto("mo1", "mo", "Maison&Objet January 2027: visitor registration is open",
             "Register now for the January show.", "2026-11-10 08:00", "bulk",
             extra=(("Precedence", "bulk"),)),
        auto("lettre2", "mairie_list", "La lettre des métiers d'art - novembre",
             "Marchés de Noël et appels à candidatures.\n\nSe désabonner",
             "2026-11-16 07:00", "mailing_list",
             extra=(("List-Id", "<lettre.ateliersdart.example>"),
                    ("List-Unsubscribe", "<https://ateliersdart.example/desabo?u=8812>"),
                    ("Precedence", "bulk"))),
        auto("colis2", "laposte", "Votre colis 6A21004871233 a été livré",
             "Votre colis a été distribué.\nCeci est un message automatique.",
             "2026-11-11 13:40", "noreply_sender"),
        auto("sumup1", "sumup", "Votre relevé de transactions du 15 novembre",
             "12 transactions, 684,00 € encaissés.", "2026-11-16 06:05", "noreply_sender"),
        auto("ovh1", "ovh", "Votre facture OVHcloud FR5532107",
             "Votre facture est disponible dans votre espace client.", "2026-11-01 04:12",
             "auto_submitted", extra=(("Auto-Submitted", "auto-generated"),)),
        auto("impots1", "impots", "Nouveau message dans votre espace professionnel",
             "Connectez-vous à votre espace professionnel pour le consulter.",
             "2026-11-18 10:00", "noreply_sender"),
        Entry("note1", "claire", ("claire",), "Pense-bête : commander émail bleu nuit",
              "5 kg d'émail bleu nuit chez Céram'Fournitures avant le 25 !", "2026-11-12 22:10",
              ("INBOX", "Sent"), reason="from_me"),
        auto("spam1", "spam", "Votre colis est en attente - action requise",
             "Réglez 1,99 € de frais de douane pour recevoir votre colis.",
             "2026-11-15 03:12", "skipped_folder", folder="Junk",
             extra=(("X-Spam-Flag", "YES"), ("X-Spam-Status", "Yes, score=11.2")), flags=()),
        Entry("rachid2", "rachid", ("claire",), "Annulation",
              "Bonjour, finalement nous avons trouvé un autre atelier, merci quand même !",
              "2026-11-08 19:30", ("Trash",), skipped=True, flags=("\\Seen", "\\Deleted")),
    ]  # fmt: skip


EXTRA_PEOPLE = {
    "marie_typo": Person("Marie Dubois", "marie.dubios@orange.fr"),
}
OWNER = ("claire", "contact", "leo")


def build() -> GeneratedMailbox:
    """Render the story and work out what the audit must report."""
    people = {**P, **EXTRA_PEOPLE}
    entries = story()
    by_handle: dict[str, Entry] = {}
    for entry in entries:
        if entry.handle in by_handle:
            raise ValueError(f"duplicate handle {entry.handle}")
        person = people[entry.sender]
        entry.message_id = message_id(entry, person)
        parent = by_handle[entry.parent] if entry.parent else None
        entry.chain = ((*parent.chain,) if parent else ()) + (entry.message_id,)
        by_handle[entry.handle] = entry
    answered_by: dict[str, Entry] = {}
    for entry in entries:
        for handle in entry.answers:
            if at(entry.when) <= at(by_handle[handle].when):
                raise ValueError(f"{entry.handle} answers a later message")
            first = answered_by.get(handle)
            if first is None or at(entry.when) < at(first.when):
                answered_by[handle] = entry
    messages: list[GenMessage] = []
    truth: dict[str, Truth] = {}
    for entry in sorted(entries, key=lambda e: (at(e.when), e.handle)):
        person = people[entry.sender]
        outbound = entry.sender in OWNER
        when = at(entry.when)
        data = render(entry, person, by_handle, people, when)
        flags = entry.flags
        if entry.skipped:
            truth[entry.message_id] = Truth(None, "skipped_folder", None, None)
        elif entry.reason is not None:
            truth[entry.message_id] = Truth("not_customer", entry.reason, None, None)
        elif outbound:
            truth[entry.message_id] = Truth(None, None, None, None)
        elif entry.handle in answered_by:
            answer = answered_by[entry.handle]
            latency = int((at(answer.when) - when).total_seconds())
            truth[entry.message_id] = Truth("answered", None, answer.message_id, latency)
            if answer.threaded:  # the phone's app does not set \Answered on the server
                flags = ("\\Answered", "\\Seen")
        else:
            status = "pending" if AS_OF - when < SLA else "overdue"
            truth[entry.message_id] = Truth(status, None, None, None)
        for folder in entry.folders:
            copy = data
            if outbound and folder == "Sent" and entry.reason == "from_me":
                copy = render(entry, person, by_handle, people, when, delivered=False)
            messages.append(GenMessage(folder, copy, flags, when, entry.message_id))
    return GeneratedMailbox(
        layout="demo",
        owner=(CLAIRE, CONTACT),
        as_of=AS_OF.astimezone(UTC),
        sla=SLA,
        messages=tuple(messages),
        truth=truth,
    )


def render(
    entry: Entry,
    person: Person,
    by_handle: dict[str, Entry],
    people: dict[str, Person],
    when: datetime,
    delivered: bool | None = None,
) -> bytes:
    """The message's bytes; inbound mail carries the trace fields its delivery added."""
    outbound = entry.sender in OWNER
    if delivered is None:
        delivered = not outbound or "INBOX" in entry.folders
    client = "mobile" if outbound and not entry.threaded else person.client
    seconds = int(digest(entry.handle + "s", 4), 16)
    composed = when - timedelta(seconds=seconds % 40 + 1 if delivered else seconds % 4)
    fields: list[tuple[str, str]] = [
        ("Date", date_header(composed, person.zone, comment=client == "orange")),
        ("From", format_address(person.name, person.email, person.charset, person.encoding)),
        ("To", ", ".join(
            format_address(people[h].name, people[h].email, person.charset, person.encoding)
            for h in entry.to
        )),
        ("Subject", encode_words(entry.subject, person.charset, person.encoding)),
        ("Message-ID", f"<{entry.message_id}>"),
    ]  # fmt: skip
    if entry.parent and entry.threaded:
        parent = by_handle[entry.parent]
        fields.append(("References", " ".join(f"<{m}>" for m in parent.chain)))
        fields.append(("In-Reply-To", f"<{parent.message_id}>"))
    if client.startswith("outlook"):
        root = entry
        while root.parent and root.threaded:
            root = by_handle[root.parent]
        index = bytes.fromhex(digest(root.handle, 44))
        depth = len(entry.chain) - len(root.chain)
        index += b"".join(bytes.fromhex(digest(f"{entry.handle}{i}", 10)) for i in range(depth))
        fields.append(("Thread-Topic", encode_words(entry.subject.split(": ", 1)[-1])))
        fields.append(("Thread-Index", base64.b64encode(index).decode("ascii")))
    fields.extend(CLIENT_HEADERS.get(client, ()))
    fields.extend(entry.extra)
    fields.append(("MIME-Version", "1.0"))
    if entry.content is not None:
        content = entry.content
    elif entry.reason == "calendar":
        ics = (
            "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{person.email}\r\n"
            "SUMMARY:Visite de l'atelier\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        content = ([("Content-Type", 'text/calendar; charset="utf-8"; method=REPLY'),
                    ("Content-Transfer-Encoding", "7bit")], ics.encode())  # fmt: skip
    else:
        transfer = "8bit" if person.charset != "utf-8" else "quoted-printable"
        content = text_body(entry.body, person.charset, transfer)
    fields.extend(content[0])
    trace: list[tuple[str, str]] = []
    if delivered:
        rcpt = people[entry.to[0]].email.lower()
        domain = person.email.split("@")[1].lower()
        queue = digest(entry.handle + "q", 10).upper()
        return_path = person.email if entry.return_path is None else entry.return_path
        trace = [
            ("Return-Path", f"<{return_path}>"),
            ("Delivered-To", rcpt),
            ("Received", f"from smtp.{domain} (smtp.{domain} [203.0.113.{seconds % 250 + 1}]) "
                         f"by mx1.{DOMAIN} (Postfix) with ESMTPS id {queue} for <{rcpt}>; "
                         f"{date_header(when, 'paris')}"),
        ]  # fmt: skip
    return render_message(fields, content[1], trace)


def expected_markdown(box: GeneratedMailbox) -> str:
    """EXPECTED.md: what the audit of the demo should say, in prose."""
    people = {**P, **EXTRA_PEOPLE}
    entries = {e.handle: e for e in story()}
    by_id = {message_id(e, people[e.sender]): e for e in entries.values()}

    def line(key: str) -> str:
        entry = by_id[key]
        person = people[entry.sender]
        arrived = at(entry.when).astimezone(AS_OF.tzinfo)
        waited = AS_OF - arrived
        hours = int(waited.total_seconds() // 3600)
        return (
            f"- **{person.name}** <{person.email}>, “{entry.subject}”, "
            f"received {arrived:%a %d %b %H:%M} — waiting {hours // 24} d {hours % 24} h"
        )

    def by_status(status: str) -> list[str]:
        keys = [k for k, t in box.truth.items() if t.status == status]
        return sorted(keys, key=lambda k: at(by_id[k].when))

    late = [
        k
        for k, t in box.truth.items()
        if t.latency_seconds is not None and t.latency_seconds > SLA.total_seconds()
    ]
    counts = summarize(box)
    out = [
        "# Demo mailbox: what the audit should find",
        "",
        "Atelier Lumière is Claire Vasseur's ceramics and lighting workshop in Lyon. She writes",
        "from `claire@atelier-lumiere.fr`; the shop's alias `contact@atelier-lumiere.fr` is hers",
        "too. The store in `mailbox/` is a Maildir++ folder tree (INBOX, Sent, Archives, Drafts,",
        "Trash, Junk, Clients/Hôtel Beaumont, Clients/Studio Nord) written by",
        "`scripts/make_demo.py`; `truth.json` holds the same expectations per Message-ID.",
        "",
        "From the repository's root (an installed package runs the same audit with",
        "`inbox-audit demo`):",
        "",
        "```sh",
        "inbox-audit audit demo/mailbox --me claire@atelier-lumiere.fr \\",
        "    --me contact@atelier-lumiere.fr \\",
        "    --as-of 2026-11-20T09:00:00+01:00 --timezone Europe/Paris --sla 24h",
        "```",
        "",
        f"## Overdue (waiting 24 h or more): {counts.get('overdue', 0)} messages",
        "",
        *[line(k) for k in by_status("overdue")],
        "",
        "Thomas Girard wrote “Devis” the day after Marie Dubois did; Claire's answer to",
        "Marie (“Re: Devis”, sent from her phone without In-Reply-To/References) is addressed",
        "to Marie only, so Thomas is still waiting. Nathalie Roché's message was forwarded to",
        "Léo (“TR : …”), which is not an answer to her; she has since followed up, and both",
        "her messages are overdue. Claire drafted a reply to Lucie Caron but never sent it.",
        "Sophie Lemaire's latest message (hotel order, in Clients/Hôtel Beaumont) is unanswered.",
        "",
        f"## Pending (less than 24 h): {counts.get('pending', 0)} messages",
        "",
        *[line(k) for k in by_status("pending")],
        "",
        "## Holding replies (`--show-replies`)",
        "",
        "One for each of the 7 waiting conversations, in the customer's language: French for",
        "Thomas, Lucie, Nathalie, Sophie, Inès and Julien (“Bonjour Julien,” … “Atelier découverte",
        "samedi ?”), English for Emma (“Hello Emma,”), whatever the locale of the machine.",
        "",
        f"## Answered late: {len(late)} messages",
        "",
    ]
    for key in sorted(late, key=lambda k: at(by_id[k].when)):
        entry = by_id[key]
        latency = box.truth[key].latency_seconds or 0
        out.append(
            f"- **{people[entry.sender].name}**, “{entry.subject}”: answered after "
            f"{latency // 86400} d {latency % 86400 // 3600} h"
        )
    out += [
        "",
        f"## Answered in time: {counts.get('answered', 0) - len(late)} messages",
        "",
        "Including Marie Dubois's “Devis” (a reply without threading headers, paired by",
        "subject and correspondent) and Camille Martin's gift-voucher request, written to and",
        "answered from `contact@`.",
        "",
        "## Not customer mail (never answered, pending or overdue)",
        "",
        "Newsletters (Etsy, Céram'Fournitures, Ateliers d'Art de France, Maison&Objet),",
        "La Poste, SumUp, OVHcloud and impots.gouv.fr notifications, two out-of-office",
        "replies (Sophie Lemaire, James Whitfield), Sophie's read receipt and calendar",
        "acceptance, a bounce for a mistyped address, and Claire's note to herself.",
        "The draft, the trashed message and the spam in Junk are not read at all.",
        "",
        "| expected | count |",
        "| --- | --- |",
        *[f"| {name} | {count} |" for name, count in counts.items()],
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "demo", help="default: demo/")
    args = parser.parse_args(argv)
    out: Path = args.out
    box = build()
    store = out / "mailbox"
    if store.exists():
        shutil.rmtree(store)
    write_maildir(box, store)
    (out / "EXPECTED.md").write_text(expected_markdown(box), encoding="utf-8")
    truth = {
        key: {
            "status": t.status,
            "reason_kind": t.reason_kind,
            "reply_message_id": t.reply_message_id,
            "latency_seconds": t.latency_seconds,
        }
        for key, t in sorted(box.truth.items())
    }
    document = {
        "as_of": AS_OF.isoformat(),
        "sla_seconds": int(SLA.total_seconds()),
        "owner": list(box.owner),
        "truth": truth,
    }
    (out / "truth.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {store} ({len(box.messages)} files) and {out / 'EXPECTED.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
