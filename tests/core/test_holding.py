"""Holding replies: base subject, first name, language, promised time, wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz

from inbox_audit.core.holding import holding_reply
from inbox_audit.core.language import (
    LanguageSigns,
    detect_language,
    language_evidence,
    language_signs,
)
from inbox_audit.core.names import first_name
from inbox_audit.core.printable import clean_text, printable, shorten
from inbox_audit.core.promise import promise_time, say_promise
from inbox_audit.core.templates import PLACEHOLDERS, check_template
from inbox_audit.core.threads import strip_subject
from inbox_audit.core.worktime import is_open, parse_hours
from inbox_audit.model import Address
from inbox_audit.settings import WorkCalendar
from tests.builders import make_message

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")


def paris(text: str) -> datetime:
    """'2026-11-03 10:00' in Paris."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


# 2026-11-02 is a Monday; the week runs Mon 2 … Sun 8 November 2026.


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Devis cuisine", "Devis cuisine"),
        ("Re: Devis cuisine", "Devis cuisine"),
        ("RE : Re: TR : Devis", "Devis"),
        ("Réf. : commande 1234", "commande 1234"),
        ("Fwd: Fw: AW: WG: SV: VS: Antw: Hello", "Hello"),
        ("[acme-clients] Re: [acme-clients] Question", "Question"),
        ("Re[2]: Question", "Question"),
        ("Re^3: Question", "Question"),
        ("Re(4): Question", "Question"),
        ("Question (fwd)", "Question"),
        ("[Fwd: Re: Devis]", "Devis"),
        ("[list]", "[list]"),  # a blob alone is the subject (RFC 5256 step 4)
        ("Re:", ""),
        ("", ""),
        ("Tram: horaires", "Tram: horaires"),  # "tr" only as a whole word
        ("Reprise: horaires", "Reprise: horaires"),
        ("Re:  multi\r\n line\tsubject ", "multi line subject"),
        ("RE： 質問", "質問"),
    ],
)
def test_strip_subject_keeps_case_for_display(subject: str, expected: str) -> None:
    assert strip_subject(subject) == expected


def test_clean_text_removes_controls_and_bidi_overrides() -> None:
    # The escape sequence goes whole (ECMA-48 CSI), not just its ESC.
    assert clean_text("a\x1b[31mb\u202ec\nd") == "abc d"
    assert clean_text("x\x1b]0;title\x07y\x9b2Jz\x1bcw") == "xyzw"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("x" * 60, "x" * 60),
        ("x" * 61, "x" * 59 + "…"),
        (
            "Demande de devis pour la rénovation complète de la cuisine et de la salle de bain",
            "Demande de devis pour la rénovation complète de la cuisine…",
        ),
    ],
)
def test_shorten(text: str, expected: str) -> None:
    assert shorten(text) == expected
    assert len(shorten(text)) <= 60


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Marie Dupont", "m@x.fr", "Marie"),
        ("Dupont, Marie", "m@x.fr", "Marie"),
        ("DUPONT Marie", "m@x.fr", "Marie"),
        ("DE LA FONTAINE Jean-Marc", "m@x.fr", "Jean-Marc"),
        ("Jean-Pierre Martin", "m@x.fr", "Jean-Pierre"),
        ("Jean-Pierre MARTIN", "m@x.fr", "Jean-Pierre"),
        ("Marie de la Fontaine", "m@x.fr", "Marie"),
        ("Dr. John Smith", "j@x.com", "John"),
        ("M. Pierre Durand", "p@x.fr", "Pierre"),
        ("Mme Durand", "d@x.fr", None),
        ("Dr Smith", "d@x.com", None),
        ("ACME SARL", "contact@acme.fr", None),
        ("Service client", "sav@x.fr", None),
        ("Info", "info@x.fr", None),
        ("La Poste", "x@laposte.fr", None),
        ("MARIE DUPONT", "m@x.fr", "Marie"),
        ("marie dupont", "m@x.fr", "Marie"),
        ("jean-pierre martin", "m@x.fr", "Jean-Pierre"),
        ("DUPONT", "m@x.fr", None),  # capitals alone: a surname or a brand
        ("Hélène", "h@x.fr", "Hélène"),
        ("McKenzie Smith", "m@x.com", "McKenzie"),
        ("Marie Dupont (ACME)", "m@x.fr", "Marie"),
        ("Marie Dupont | ACME", "m@x.fr", "Marie"),
        ("'Marie Dupont' via LinkedIn", "m@x.fr", "Marie"),
        ("Marie Dupont, ACME SARL", "m@x.fr", "Marie"),
        ("John Smith, PhD", "j@x.com", "John"),
        ("J. Smith", "j@x.com", None),
        ("J.-P. Martin", "j@x.fr", None),
        ("J.P. MARTIN", "j@x.fr", None),
        ("Marie et Paul Dupont", "m@x.fr", None),
        ("Client 1234", "c@x.fr", None),
        ("🌸 Marie Dupont", "m@x.fr", "Marie"),
        ("", "marie.dupont@x.fr", "Marie"),
        ("", "jean-pierre.martin@x.fr", "Jean-Pierre"),
        ("", "marie_dupont75+shop@x.fr", "Marie"),
        ("", "jdupont@x.fr", None),
        ("", "m.dupont@x.fr", None),
        ("", "contact.boutique@x.fr", None),
        ("", "info@x.fr", None),
        ("marie.dupont@gmail.com", "marie.dupont@gmail.com", "Marie"),
    ],
)
def test_first_name(name: str, email: str, expected: str | None) -> None:
    assert first_name(Address(email, name)) == expected


@pytest.mark.parametrize(
    ("subject", "name", "email", "hints", "expected"),
    [
        ("Question", "", "a@x.com", ("fr-FR",), "fr"),
        ("Devis", "", "a@x.fr", ("en-US",), "en"),  # headers beat every guess
        ("Question", "", "a@x.com", ("fr, en-US;q=0.8",), "fr"),
        ("Devis", "", "a@x.fr", ("de-CH",), "en"),  # another language reads English better
        ("Devis", "", "a@x.com", ("*",), "fr"),  # not a tag: ignored
        ("Demande de devis", "", "a@x.com", (), "fr"),
        ("Question sur la livraison", "", "a@x.com", (), "fr"),
        ("Rendez-vous", "", "a@x.com", (), "fr"),
        ("Demande d'information", "", "a@x.com", (), "fr"),
        ("Réservation", "", "a@x.com", (), "fr"),
        ("Question about my order", "", "a@x.com", (), "en"),
        ("Quote", "", "a@x.com", (), "en"),
        ("", "", "a@x.fr", (), "fr"),  # the domain alone
        ("Hello", "", "a@x.fr", (), "en"),  # English words beat a French domain
        ("", "", "a@x.be", (), "en"),  # multilingual country, nothing else
        ("", "Hélène", "a@x.be", (), "fr"),  # ... with a French-looking name
        ("", "Hélène", "a@x.com", (), "en"),  # an accent alone is not enough
        ("", "M. Durand", "a@x.com", (), "fr"),
        ("", "Mr Smith", "a@x.fr", (), "en"),
        ("", "", "a@x.com", (), "en"),
        ("Re: 12345", "", "a@x.com", (), "en"),
    ],
)
def test_detect_language(
    subject: str, name: str, email: str, hints: tuple[str, ...], expected: str
) -> None:
    language = detect_language(
        subject=subject, correspondent=Address(email, name), signs=LanguageSigns(tags=hints)
    )
    assert language == expected


def test_language_evidence_explains_itself() -> None:
    evidence = language_evidence("Re: Demande de devis", Address("a@x.ca", "Hélène"))
    assert evidence == [
        (2, "French word 'demande' in the subject"),
        (2, "French word 'devis' in the subject"),
        (1, "French accents in the name"),
        (1, "partly French-speaking domain .ca"),
    ]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-02 07:30", "2026-11-02 17:00"),  # Monday before opening: 9:00 + 4 h
        ("2026-11-03 10:00", "2026-11-03 17:00"),  # Tuesday 10:00 + 4 h = 14:00
        ("2026-11-03 13:00", "2026-11-03 17:00"),  # exactly 17:00
        ("2026-11-03 13:01", "2026-11-04 12:00"),  # 1 min left over to Wednesday
        ("2026-11-03 14:00", "2026-11-04 12:00"),  # 3 h Tuesday + 1 h Wednesday
        ("2026-11-03 15:30", "2026-11-04 12:00"),  # 1 h 30 Tuesday + 2 h 30 Wednesday
        ("2026-11-03 16:59", "2026-11-04 17:00"),  # 1 min Tuesday + 3 h 59 Wednesday
        ("2026-11-03 17:00", "2026-11-04 17:00"),  # after closing: Wednesday 9:00 + 4 h
        ("2026-11-03 23:00", "2026-11-04 17:00"),
        ("2026-11-05 12:00", "2026-11-05 17:00"),  # Thursday noon
        ("2026-11-06 12:00", "2026-11-06 17:00"),  # Friday noon → Friday 17:00
        ("2026-11-06 13:30", "2026-11-09 12:00"),  # 3 h 30 Friday + 30 min Monday
        ("2026-11-06 16:00", "2026-11-09 12:00"),  # Friday 16:00 → Monday noon
        ("2026-11-06 19:00", "2026-11-09 17:00"),  # Friday evening → Monday 17:00
        ("2026-11-07 10:00", "2026-11-09 17:00"),  # Saturday
        ("2026-11-08 22:00", "2026-11-09 17:00"),  # Sunday night
    ],
)
def test_promise_time_across_a_week(as_of: str, expected: str) -> None:
    promised = promise_time(paris(as_of), PARIS)
    assert promised == paris(expected)
    assert promised.tzinfo is PARIS
    assert promised.weekday() < 5 and (promised.hour, promised.minute) in {(12, 0), (17, 0)}


def test_promise_time_is_in_the_owners_zone() -> None:
    # Friday 20:00 UTC is Friday 15:00 in Montréal: 2 h Friday + 2 h Monday → Monday noon.
    as_of = datetime(2026, 11, 6, 20, 0, tzinfo=UTC)
    assert promise_time(as_of, MONTREAL) == datetime(2026, 11, 9, 12, 0, tzinfo=MONTREAL)
    # The same instant is Friday 21:00 in Paris: after closing → Monday 17:00.
    assert promise_time(as_of, PARIS) == paris("2026-11-09 17:00")


def test_promise_time_across_a_daylight_saving_change() -> None:
    # Paris leaves summer time on Sunday 25 October 2026; the promise stays on wall-clock noon.
    promised = promise_time(paris("2026-10-23 16:00"), PARIS)
    assert promised == paris("2026-10-26 12:00")
    assert promised.utcoffset() == timedelta(hours=1)


def test_promise_time_works_with_dateutil_zones() -> None:
    zone = dateutil_tz.gettz("Europe/Paris")
    assert zone is not None
    promised = promise_time(datetime(2026, 11, 3, 9, 0, tzinfo=UTC), zone)  # 10:00 in Paris
    assert promised == paris("2026-11-03 17:00")


def test_promise_time_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        promise_time(datetime(2026, 11, 3, 10, 0), PARIS)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("as_of", "promised", "english", "french"),
    [
        ("2026-11-03 10:00", "2026-11-03 17:00", "by 5 pm today", "d'ici 17 h aujourd'hui"),
        ("2026-11-03 14:00", "2026-11-04 12:00", "by tomorrow noon", "d'ici demain midi"),
        ("2026-11-03 17:30", "2026-11-04 17:00", "by tomorrow 5 pm", "d'ici demain 17 h"),
        ("2026-11-06 16:00", "2026-11-09 12:00", "by Monday noon", "d'ici lundi midi"),
        ("2026-11-07 10:00", "2026-11-09 17:00", "by Monday 5 pm", "d'ici lundi 17 h"),
        ("2026-11-03 10:00", "2026-11-05 12:30", "by Thursday 12:30 pm", "d'ici jeudi 12 h 30"),
        ("2026-11-03 10:00", "2026-11-13 12:00", "by Friday 13 November noon", None),
    ],
)
def test_say_promise(as_of: str, promised: str, english: str, french: str | None) -> None:
    assert say_promise(paris(promised), paris(as_of), PARIS, "en") == english
    if french:
        assert say_promise(paris(promised), paris(as_of), PARIS, "fr") == french


MARIE = Address("marie.dupont@orange.fr", "DUPONT Marie")
JOHN = Address("john@example.com", "John Smith")


def test_french_holding_reply() -> None:
    reply = holding_reply(
        subject="RE : TR : Demande de devis pour la cuisine",
        correspondent=MARIE,
        as_of=paris("2026-11-05 15:00"),  # Thursday
        tz=PARIS,
    )
    assert reply.to == "marie.dupont@orange.fr"
    assert reply.subject == "Re: Demande de devis pour la cuisine"
    assert reply.language == "fr"
    assert reply.promised_by == paris("2026-11-06 12:00")
    assert reply.body == (
        "Bonjour Marie,\n"
        "\n"
        "Merci pour votre message au sujet de « Demande de devis pour la cuisine ».\n"
        "Je l'ai bien reçu et je reviens vers vous d'ici demain midi.\n"
        "\n"
        "Bien cordialement,"
    )


def test_english_holding_reply_with_apology_and_signature() -> None:
    reply = holding_reply(
        subject="Fwd: Question about my order #1234",
        correspondent=JOHN,
        as_of=paris("2026-11-06 16:00"),  # Friday
        tz=PARIS,
        signature="Jean Martin\nMenuiserie Martin  ",
        apologize=True,
    )
    assert reply.language == "en"
    assert reply.subject == "Re: Question about my order #1234"
    assert reply.promised_by == paris("2026-11-09 12:00")
    assert reply.body == (
        "Hello John,\n"
        "\n"
        'Thank you for your message about "Question about my order #1234", '
        "and sorry for the wait.\n"
        "I will get back to you by Monday noon.\n"
        "\n"
        "Best regards,\n"
        "Jean Martin\n"
        "Menuiserie Martin"
    )
    non_blank = [line for line in reply.body.splitlines() if line]
    assert 3 <= len(non_blank) <= 6


def test_holding_reply_without_name_or_subject() -> None:
    reply = holding_reply(
        subject="Re: ",
        correspondent=Address("contact@acme.fr", "ACME SARL"),
        as_of=paris("2026-11-03 10:00"),
        tz=PARIS,
    )
    assert reply.language == "fr"
    assert reply.subject == "Re: votre message"
    assert reply.body.startswith("Bonjour,\n\nMerci pour votre message.\nJe l'ai bien reçu")
    english = holding_reply(
        subject="",
        correspondent=Address("info@acme.com"),
        as_of=paris("2026-11-03 10:00"),
        tz=PARIS,
    )
    assert english.subject == "Re: your message"
    assert english.body.startswith("Hello,\n\nThank you for your message.\nI have received it")


@pytest.mark.parametrize(
    ("lang", "expected"), [("fr", "fr"), ("en", "en"), ("FR", "fr"), ("en-GB", "en")]
)
def test_lang_forces_the_language(lang: str, expected: str) -> None:
    reply = holding_reply(
        subject="Demande de devis",
        correspondent=MARIE,
        signs=LanguageSigns(tags=("fr-FR",)),
        as_of=paris("2026-11-03 10:00"),
        tz=PARIS,
        lang=lang,
    )
    assert reply.language == expected
    greeting = {"fr": "Bonjour Marie,", "en": "Hello Marie,"}[expected]
    assert reply.body.startswith(greeting)
    assert ("« Demande de devis »" if expected == "fr" else '"Demande de devis"') in reply.body


def test_unsupported_lang_is_an_error() -> None:
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        holding_reply(
            subject="x",
            correspondent=JOHN,
            as_of=paris("2026-11-03 10:00"),
            tz=PARIS,
            lang="de",
        )


def test_long_and_hostile_subjects_stay_on_one_line() -> None:
    subject = "Re: " + "très long sujet " * 10 + "\r\nBcc: victim@example.com"
    reply = holding_reply(
        subject=subject,
        correspondent=MARIE,
        as_of=paris("2026-11-03 10:00"),
        tz=PARIS,
    )
    assert "\r" not in reply.subject and "\n" not in reply.subject
    topic_line = reply.body.splitlines()[2]
    assert "…" in topic_line
    quoted = topic_line.split("« ")[1].split(" »")[0]
    assert len(quoted) <= 60


@pytest.mark.parametrize(
    "text",
    ["Marie Dupont", "  a  b ", "tab\there", "é\u00a0è", "a\x1b[31mb", "x\u202ey", "\u2066z", ""],
)
def test_clean_text_shortcut_for_printable_text(text: str) -> None:
    # clean_text skips its character scan for printable text: the result must not change.
    # A trailing NUL (a control: a space, dropped at the end) forces the scan.
    assert clean_text(text) == clean_text(text + "\x00")
    assert printable(text) == printable(text + "\x00")[:-1]


def test_first_name_of_a_wordless_name_reads_each_address() -> None:
    # The display name's verdict is remembered; the address fallback is not.
    assert first_name(Address("marie.dupont@example.fr", "😀")) == "Marie"
    assert first_name(Address("jean.martin@example.fr", "😀")) == "Jean"


def test_promise_follows_each_moment_and_zone() -> None:
    # The last promise is remembered: a new moment or zone must work it out again.
    first = holding_reply(
        subject="Devis", correspondent=Address("a@x.fr"), as_of=paris("2026-11-03 10:00"),
        tz=PARIS,
    )  # fmt: skip
    later = holding_reply(
        subject="Devis", correspondent=Address("a@x.fr"), as_of=paris("2026-11-03 14:00"),
        tz=PARIS,
    )  # fmt: skip
    elsewhere = holding_reply(
        subject="Devis", correspondent=Address("a@x.fr"), as_of=paris("2026-11-03 14:00"),
        tz=MONTREAL,
    )  # fmt: skip
    assert first.promised_by == paris("2026-11-03 17:00")
    assert later.promised_by == paris("2026-11-04 12:00")
    assert elsewhere.promised_by == promise_time(paris("2026-11-03 14:00"), MONTREAL)
    assert elsewhere.promised_by.tzinfo is MONTREAL


# --- Issue 13: every sign of the customer's language -------------------------------------------

GMAIL = Address("julien.fabre@gmail.example", "Julien Fabre")


def language(
    subject: str = "Question", who: Address = GMAIL, fallback: str = "en", **signs: tuple[str, ...]
) -> str:
    return detect_language(
        subject=subject, correspondent=who, signs=LanguageSigns(**signs), fallback=fallback
    )


def test_the_subject_alone_tells_french() -> None:
    assert language("Atelier découverte samedi ?") == "fr"


def test_the_opening_words_of_the_text_tell_the_language() -> None:
    french = "Bonjour, je voudrais savoir s'il reste des places pour l'atelier. Merci !"
    english = "Hello, I would like to know if there are any places left. Thanks!"
    assert language(texts=(french,)) == "fr"
    assert language(texts=(english,)) == "en"
    assert language(fallback="fr", texts=(english,)) == "en"


def test_the_text_outweighs_an_english_mail_client() -> None:
    # Content-Language is the client's (an English Outlook in Lyon), not always the writer's.
    text = "Bonjour Madame, nous souhaiterions réserver votre salle pour une réunion. Cordialement"
    assert language(tags=("en-US",), texts=(text,)) == "fr"
    assert language(tags=("en-US",)) == "en"


def test_content_language_alone_decides() -> None:
    assert language(tags=("fr-CA",)) == "fr"
    assert language(fallback="fr", tags=("en-GB",)) == "en"


def test_a_country_domain() -> None:
    assert language("", Address("paul@orange.fr")) == "fr"
    # .be, .ch, .ca speak several languages: alone, the owner's language is written.
    assert language("", Address("paul@telenet.be"), fallback="en") == "en"
    assert language("", Address("paul@telenet.be"), fallback="fr") == "fr"
    assert language("", Address("hélène@telenet.be", "Hélène")) == "fr"


def test_earlier_messages_of_the_thread_count() -> None:
    # The customer's follow-up "Re: 12345" says nothing; their first message did.
    earlier = ("Demande de devis pour une lampe",)
    assert language("Re: 12345", subjects=earlier) == "fr"
    assert language("Re: 12345", texts=("Bonjour, avez-vous reçu ma demande ?",)) == "fr"


def test_without_signs_the_owner_language_not_english() -> None:
    assert language("Re: 12345", fallback="fr") == "fr"
    assert language("Re: 12345", fallback="en") == "en"


def test_the_evidence_names_every_sign() -> None:
    signs = LanguageSigns(
        tags=("fr",), subjects=("Devis",), texts=("Bonjour, je voudrais un devis.",)
    )
    reasons = [why for _, why in language_evidence("Re: 12345", GMAIL, signs)]
    assert "Content-Language/Accept-Language fr" in reasons
    assert "French word 'devis' in the subject (earlier message)" in reasons
    assert any("in the text" in why for why in reasons)


def test_the_thread_signs_come_from_its_messages() -> None:
    first = make_message(subject="Devis", language_hints=("fr",), text_start="Bonjour")
    second = make_message(subject="Re: Devis", text_start="")
    signs = language_signs([first, second])
    assert signs == LanguageSigns(("fr",), ("Devis", "Re: Devis"), ("Bonjour",))


def test_the_holding_reply_falls_back_to_the_owner_language() -> None:
    reply = holding_reply(
        subject="Re: 12345",
        correspondent=GMAIL,
        as_of=paris("2026-11-03 10:00"),
        tz=PARIS,
        owner_lang="fr",
    )
    assert reply.language == "fr"
    assert reply.body.startswith("Bonjour Julien,")


# --- The promise in the owner's calendar ----------------------------------------------------

_PARIS = ZoneInfo("Europe/Paris")


def _calendar(hours: str, holidays: str | None = None) -> WorkCalendar:
    return WorkCalendar(parse_hours(hours), _PARIS, holidays)


@pytest.mark.parametrize(
    ("hours", "holidays", "now", "expected", "fr"),
    [
        # 4 working hours from Monday 10:00 with a lunch break: 15:00, kept by closing time.
        ("mon-fri 09:00-12:00,14:00-18:00", None, "2026-03-02 10:00", "2026-03-02 18:00",
         "d'ici 18 h aujourd'hui"),
        # From Monday 16:00: 2 h today, 2 h tomorrow morning: by noon.
        ("mon-fri 09:00-12:00,14:00-18:00", None, "2026-03-02 16:00", "2026-03-03 12:00",
         "d'ici demain midi"),
        # Friday evening, shop shut on weekends: Monday 9-12 and 14-15, by closing time.
        ("mon-fri 09:00-12:00,14:00-18:00", None, "2026-03-06 19:00", "2026-03-09 18:00",
         "d'ici lundi 18 h"),
        # Thursday 30 April 16:00, 1 May a holiday: Monday.
        ("mon-fri 09:00-17:00", "FR", "2026-04-30 16:00", "2026-05-04 12:00",
         "d'ici lundi midi"),
        # Closed at noon (10:00-11:30, 15:00-19:00): the promise is a closing time, not noon.
        ("mon-sat 10:00-11:30,15:00-19:00", None, "2026-03-02 16:30", "2026-03-03 11:30",
         "d'ici demain 11 h 30"),
        # Open mornings only on Friday: from Thursday 17:00, Friday's closing at noon.
        ("mon-thu 09:00-18:00; fri 09:00-12:00", None, "2026-03-05 17:00", "2026-03-06 12:00",
         "d'ici demain midi"),
    ],
)  # fmt: skip
def test_the_promise_follows_the_calendar(
    hours: str, holidays: str | None, now: str, expected: str, fr: str
) -> None:
    calendar = _calendar(hours, holidays)
    as_of = datetime.fromisoformat(now).replace(tzinfo=_PARIS)
    promised = promise_time(as_of, _PARIS, calendar)
    assert promised == datetime.fromisoformat(expected).replace(tzinfo=_PARIS)
    # Never a moment the shop is shut: it was working until then.
    assert is_open(calendar, promised - timedelta(seconds=1))
    reply = holding_reply(
        subject="Devis",
        correspondent=Address("ana@example.fr", "Ana Martin"),
        as_of=as_of,
        tz=_PARIS,
        lang="fr",
        calendar=calendar,
    )
    assert reply.promised_by == promised
    assert fr in reply.body


# --- The owner's templates ------------------------------------------------------------------

TEMPLATE = (
    "{greeting}\n\nMerci, {first_name} : « {topic} ». {sorry}\n{sorry}\nRéponse {promise}.\n"
    "{signature}\n"
)


def test_a_template_words_the_reply_with_every_placeholder() -> None:
    def reply(apologize: bool) -> str:
        return holding_reply(
            subject="RE: Devis table",
            correspondent=Address("marie@example.fr", "Marie Dupont"),
            as_of=paris("2026-11-03 10:00"),
            tz=PARIS,
            signature="Claire\nAtelier",
            apologize=apologize,
            templates={"fr": TEMPLATE, "en": "unused"},
        ).body

    assert reply(False) == (
        "Bonjour Marie,\n\nMerci, Marie : « Devis table ». \nRéponse d'ici 17 h aujourd'hui."
        "\nClaire\nAtelier"
    ).replace(" \n", "\n")
    # The line holding only {sorry} is dropped when there is nothing to say, kept otherwise.
    assert reply(True).splitlines()[3] == "Toutes mes excuses pour ce délai."
    assert reply(True).count("Toutes mes excuses") == 2


def test_without_a_template_for_the_language_the_wording_is_built_in() -> None:
    kwargs = {
        "subject": "Quote",
        "correspondent": Address("john@example.com", "John Smith"),
        "as_of": paris("2026-11-03 10:00"),
        "tz": PARIS,
    }
    built_in = holding_reply(**kwargs)  # type: ignore[arg-type]
    assert holding_reply(**kwargs, templates={"fr": TEMPLATE}) == built_in  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{greting}", "unknown placeholder {greting}"),
        ("{greeting.__class__}", "unknown placeholder {greeting.__class__}"),
        ("{topic!r}", "unknown placeholder {topic}"),
        ("{promise:>20}", "unknown placeholder {promise}"),
        ("Bonjour {", "braces"),
        ("{0}", "unknown placeholder {0}"),
    ],
)
def test_a_template_with_an_unknown_placeholder_is_refused(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        check_template(text)


def test_every_documented_placeholder_is_accepted() -> None:
    check_template("".join(f"{{{name}}}" for name in PLACEHOLDERS) + " {{literal}}")
