"""The message catalogs: every message of the code translated, none fuzzy, the .mo compiled
from the .po (scripts/catalogs.py), and both shipped in the wheel."""

from __future__ import annotations

import gettext
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from inbox_audit import i18n

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogs", ROOT / "scripts" / "catalogs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["catalogs"] = module
    spec.loader.exec_module(module)
    return module


catalogs = _script()
LANGUAGES = [language for language in i18n.LANGUAGES if language != "en"]


def _po(language: str) -> Catalog:
    with catalogs.po_path(language).open("rb") as f:
        return read_po(f, locale=language, domain=i18n.DOMAIN)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_code_is_in_the_catalog(language: str) -> None:
    in_code = _ids(catalogs.template())
    missing = in_code - _ids(_po(language))
    assert not missing, f"run: python scripts/catalogs.py, then translate {sorted(missing)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    untranslated, fuzzy, broken = [], [], []
    for message in _po(language):
        if not message.id:
            continue
        string = message.string
        strings = tuple(string) if isinstance(string, (tuple, list)) else (string or "",)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
        ids = [str(i) for i in (message.id if isinstance(message.id, tuple) else (message.id,))]
        # The same {placeholders}: a translation that drops or misspells one breaks format().
        wanted = set(re.findall(r"\{[^{}]*\}", ids[-1]))
        if any(set(re.findall(r"\{[^{}]*\}", str(s))) != wanted for s in strings if s):
            broken.append(message.id)
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy (check, then remove the flag): {fuzzy}"
    assert not broken, f"placeholders differ: {broken}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po_file(language: str) -> None:
    # Compared as translations, not bytes: the .mo header names the Babel version.
    po = _po(language)
    with catalogs.po_path(language).with_suffix(".mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for message in po:
        if not message.id:
            continue
        strings = message.string
        if isinstance(message.id, tuple):
            assert isinstance(strings, tuple)
            for n, expected in ((1, strings[0]), (2, strings[1])):
                assert mo.ngettext(message.id[0], message.id[1], n) == expected
        else:
            assert isinstance(message.id, str)
            assert mo.gettext(message.id) == strings, message.id


def test_the_catalogs_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in pyproject
    assert (
        Path(i18n.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "inbox_audit.mo"
    ).is_file()


def test_a_call_with_a_computed_message_is_refused() -> None:
    with pytest.raises(SystemExit, match="literal strings"):
        catalogs.messages_in('_(f"x {y}")')
    assert catalogs.messages_in("f\"{_('in braces')}\"") == [(1, "in braces")]
