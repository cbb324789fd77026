"""The holding reply as a whole: its subject, greeting, language, promise and wording."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from inbox_audit.core.holding import holding_reply
from inbox_audit.core.language import LanguageSigns
from inbox_audit.core.promise import promise_time
from inbox_audit.core.worktime import is_open, parse_hours
from inbox_audit.model import Address
from inbox_audit.settings import WorkCalendar
from tests.builders import GMAIL, MONTREAL, PARIS, paris

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


def _calendar(hours: str, holidays: str | None = None) -> WorkCalendar:
    return WorkCalendar(parse_hours(hours), PARIS, holidays)


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
    as_of = datetime.fromisoformat(now).replace(tzinfo=PARIS)
    promised = promise_time(as_of, PARIS, calendar)
    assert promised == datetime.fromisoformat(expected).replace(tzinfo=PARIS)
    # Never a moment the shop is shut: it was working until then.
    assert is_open(calendar, promised - timedelta(seconds=1))
    reply = holding_reply(
        subject="Devis",
        correspondent=Address("ana@example.fr", "Ana Martin"),
        as_of=as_of,
        tz=PARIS,
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
