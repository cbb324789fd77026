"""A mistake on the command line (typer's parser errors), told in the owner's language."""

from __future__ import annotations

import re
from typing import Any

import typer

from inbox_audit import i18n
from inbox_audit.i18n import _

# typer keeps its copy of click private (typer._click): its exceptions are told apart here by
# the public attributes click documents on them (option_name, possibilities, param,
# param_type...), and its few plain UsageError sentences by their words, which
# tests/test_french_ui.py checks still come out translated.
_EXTRA = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)$", re.DOTALL)
_NO_COMMAND = re.compile(r"No such command (?P<name>.+)\.$")
_NEEDS_VALUE = re.compile(r"Option (?P<name>.+) requires an? ?(?:\d+ )?arguments?\.$")
_NO_VALUE = re.compile(r"Option (?P<name>.+) does not take a value\.$")
_NUMBERS = ("int", "float", "int range", "float range")  # click types by their names


def is_usage_error(error: BaseException) -> bool:
    """Whether `error` is typer's word that the command line is wrong (click's UsageError)."""
    return isinstance(error, typer.TyperException) and getattr(error, "exit_code", 0) == 2


def usage_text(error: typer.TyperException) -> str:
    """What click's UsageError.show() prints, in the owner's language: the usage line, where
    to find help, then the error."""
    ctx: Any = getattr(error, "ctx", None)
    if ctx is not None and error.message == ctx.get_help():
        return error.message + "\n"  # no arguments at all: the help (in the owner's language)
    lines = []
    if ctx is not None:
        pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
        lines.append(f"{_('Usage:')} {ctx.command_path} {pieces}".rstrip())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(
                _("Try '{command} {option}' for help.").format(
                    command=ctx.command_path, option=ctx.help_option_names[0]
                )
            )
        lines.append("")
    lines.append(_("Error: {message}").format(message=_message(error, ctx)))
    return "\n".join(lines) + "\n"


def _message(error: typer.TyperException, ctx: Any) -> str:
    option = getattr(error, "option_name", None)
    if option is not None and hasattr(error, "possibilities"):  # NoSuchOption
        said = _("No such option: {name}").format(name=option)
        possibilities = sorted(getattr(error, "possibilities", None) or ())
        if possibilities:
            options = ", ".join(possibilities)
            said += " " + _("(Possible options: {options})").format(options=options)
        return said
    if isinstance(error, typer.BadParameter):
        return _bad_parameter(error, ctx)
    text = error.message
    wordings = (
        (_EXTRA, _("Got unexpected extra argument(s) ({args})")),
        (_NO_COMMAND, _("No such command {name}.")),
        (_NEEDS_VALUE, _("Option {name} requires an argument.")),
        (_NO_VALUE, _("Option {name} does not take a value.")),
    )
    for pattern, wording in wordings:
        found = pattern.match(text)
        if found:
            return wording.format(**found.groupdict())
    return text


def _bad_parameter(error: typer.BadParameter, ctx: Any) -> str:
    param: Any = error.param
    hint = error.param_hint
    if hint is None and param is not None:
        hint = param.get_error_hint(ctx)
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(x) for x in hint)
    param_type = getattr(error, "param_type", None) or (
        param.param_type_name if param is not None and hasattr(error, "param_type") else None
    )
    if param_type is not None:  # MissingParameter
        if param_type == "argument":
            return _("Missing argument {name}.").format(name=hint or "")
        if param_type == "option":
            return _("Missing option {name}.").format(name=hint or "")
        return _("Missing parameter {name}.").format(name=hint or "")
    kind = getattr(getattr(param, "type", None), "name", None)
    if kind in _NUMBERS and i18n.current() != "en":
        # click's own words are English ("'x' is not a valid float range"): in another
        # language, what a number must be is said instead, from the type's bounds.
        low = getattr(param.type, "min", None)
        high = getattr(param.type, "max", None)
        if low is not None and high is not None:
            why = _("a number from {low} to {high} is expected").format(low=low, high=high)
        elif low is not None:
            why = _("a number of at least {low} is expected").format(low=low)
        else:
            why = _("a number is expected")
        message = why
    else:
        message = error.message
    if hint is None:
        return _("Invalid value: {message}").format(message=message)
    return _("Invalid value for {name}: {message}").format(name=hint, message=message)
