"""typer's parser errors as we tell them: click's own text in English, the owner's language
otherwise."""

from __future__ import annotations

import io

import pytest
import typer

from inbox_audit.app.cli import app
from inbox_audit.app.usage import is_usage_error, usage_text
from tests.i18n_fixtures import english_words, speaking

MISTAKES = [
    [],  # the help, as a usage error
    ["audit", "--nope"],
    ["audit", "--me"],
    ["audit", "a", "b", "c"],
    ["audit", "x", "--timeout", "bof"],
    ["audit", "x", "--timeout", "0"],
    ["audit", "x", "--sla"],
    ["password", "set"],
    ["stats", "x", "--weeks", "9999"],
]


def _mistake(args: list[str]) -> typer.TyperException:
    with pytest.raises(typer.TyperException) as caught:
        typer.main.get_command(app).main(args, prog_name="inbox-audit", standalone_mode=False)
    assert is_usage_error(caught.value)
    return caught.value


@pytest.mark.parametrize("args", MISTAKES, ids=lambda a: " ".join(a) or "-")
def test_english_is_what_click_says(args: list[str]) -> None:
    error = _mistake(args)
    shown = io.StringIO()
    # click's own rendering (UsageError.show, which typer's public TyperException does not
    # declare): ours must not drift from it in English.
    error.show(file=shown)  # type: ignore[attr-defined]
    assert usage_text(error) == shown.getvalue()


@pytest.mark.parametrize("args", MISTAKES[1:], ids=" ".join)
def test_french_has_no_english_word(args: list[str]) -> None:
    error = _mistake(args)
    with speaking("fr"):
        said = usage_text(error)
    assert "Erreur\u00a0: " in said
    assert not english_words(said.replace("[OPTIONS]", "")), said
    assert english_words(usage_text(error))  # the English: the check can fail


def test_a_bounded_number_says_its_bounds() -> None:
    with speaking("fr"):
        said = usage_text(_mistake(["stats", "x", "--weeks", "9999"]))
    assert "un nombre de 1 à 520 est attendu" in said


def test_another_error_is_not_a_usage_error() -> None:
    assert not is_usage_error(typer.TyperException("x"))
    assert not is_usage_error(ValueError("x"))
