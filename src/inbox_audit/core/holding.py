"""The holding reply for a waiting customer: greeting, thanks and a promise, in their language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from inbox_audit.core.language import NO_SIGNS, LanguageSigns, detect_language, normalise_language
from inbox_audit.core.names import first_name
from inbox_audit.core.printable import clean_text, shorten
from inbox_audit.core.promise import promised
from inbox_audit.core.templates import SORRY, fill
from inbox_audit.core.threads import strip_subject
from inbox_audit.model import Address, HoldingReply
from inbox_audit.settings import WorkCalendar

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
        normalise_language(lang)
        if lang
        else detect_language(
            subject=subject, correspondent=correspondent, signs=signs, fallback=owner_lang
        )
    )
    texts = _TEXTS[language]
    topic = strip_subject(clean_text(subject))
    promised_by, promise = promised(as_of, tz, language, calendar)
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
