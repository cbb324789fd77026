"""The owner's language: which one, its messages (gettext catalogs) and its dates and numbers
(Babel). Chosen once, at the program's start; every layer above the core reads it here."""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Final

#: The languages inbox-audit speaks; the first is the fallback.
LANGUAGES: Final = ("en", "fr")
DOMAIN: Final = "inbox_audit"
LOCALE_DIR: Final = Path(__file__).parent / "locale"

# The one language of this process. English until `use` is called: the code's own strings
# are English, so importing a module never needs a catalog.
_language = "en"
_catalog: gettext.NullTranslations = gettext.NullTranslations()


def language_of(value: str | None) -> str | None:
    """'fr' for 'fr', 'FR', 'fr_FR.UTF-8', 'fr-CA'...; None for a language we do not speak
    (or 'C', 'POSIX', '')."""
    if not value:
        return None
    code = value.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def choose(configured: str | None, environ: Mapping[str, str]) -> str:
    """The configured language, else the locale's, else English.

    The locale as POSIX reads it for messages: the first of LC_ALL, LC_MESSAGES, LANG that is
    set decides (a set but unsupported one, such as "C", means English rather than the next).
    """
    chosen = language_of(configured)
    if chosen is not None:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return language_of(value) or LANGUAGES[0]
    return LANGUAGES[0]


def use(language: str) -> None:
    """Speak `language` from now on (its compiled catalog from the package)."""
    global _language, _catalog
    _language = language if language in LANGUAGES else LANGUAGES[0]
    _catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[_language], fallback=True)


def current() -> str:
    """The language in use: 'en' or 'fr'."""
    return _language


def _(message: str) -> str:
    """`message` in the owner's language (scripts/catalogs.py collects every `_("...")`)."""
    return _catalog.gettext(message)


def marked(message: str) -> str:
    """A message marked with errors.N_ where it was written (below the app, or kept as data),
    in the owner's language; any other text as it is."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for `count` in the owner's language."""
    return _catalog.ngettext(singular, plural, count)


# --- Dates and numbers, the way the owner's language writes them (Babel's CLDR data) --------
# Babel is imported by the functions: a run that prints nothing formats nothing.


def date_time(moment: datetime, *, year: bool = False) -> str:
    """'Thu 20 Nov 09:00' / 'jeu. 20 nov. 09:00' (with the year when `year`)."""
    from babel.dates import format_datetime

    pattern = "EEE d MMM y HH:mm" if year else "EEE d MMM HH:mm"
    return format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=_language)


def day_month(moment: datetime, *, year: bool = False) -> str:
    """'27 Oct' / '27 oct.' (with the year when `year`)."""
    from babel.dates import format_date

    return format_date(moment, "d MMM y" if year else "d MMM", locale=_language)


def day(moment: date) -> str:
    """'Wed 18 Nov 2026' / 'mer. 18 nov. 2026'."""
    from babel.dates import format_date

    return format_date(moment, "EEE d MMM y", locale=_language)


def weekday(moment: datetime) -> str:
    """'Monday' / 'lundi'."""
    from babel.dates import format_date

    return format_date(moment, "EEEE", locale=_language)


def percent(ratio: float) -> str:
    """'50%' / '50 %' (a no-break space before the sign, as French writes it)."""
    from babel.numbers import format_percent

    return format_percent(ratio, locale=_language)


def number(value: int) -> str:
    """'12,345' / '12 345'."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_language)


def use_for_libraries() -> None:
    """Have the libraries that translate through the process-wide gettext domain (typer's
    "Options", "Arguments"...) speak the language in use, from this package's catalog.

    The process-wide domain follows the LANGUAGE variable (GNU gettext's own way to choose
    a message language), so this sets it for this process and the commands it starts.
    """
    import os

    gettext.bindtextdomain(DOMAIN, LOCALE_DIR)
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = _language
