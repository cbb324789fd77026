"""The customer's language, French or English, from every sign a thread's messages give."""

from __future__ import annotations

import pytest

from inbox_audit.core.language import (
    LanguageSigns,
    detect_language,
    language_evidence,
    language_signs,
)
from inbox_audit.model import Address
from tests.builders import GMAIL, make_message


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


# --- Issue 13: every sign of the customer's language -------------------------------------------


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
