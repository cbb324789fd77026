"""The owner's holding-reply templates: what they may say, checked, and filled in."""

from __future__ import annotations

from string import Formatter

#: What a holding-reply template (a file in the config directory, README "Your own wording")
#: may say, and what each placeholder becomes.
PLACEHOLDERS: dict[str, str] = {
    "greeting": 'the greeting with the first name when known: "Bonjour Marie," / "Hello,"',
    "first_name": "the customer's first name, or nothing",
    "topic": "what they wrote about: the subject without Re:, shortened",
    "subject": 'the reply\'s subject: "Re: ..."',
    "promise": 'when you will answer: "d\'ici jeudi midi" / "by Thursday noon"',
    "sorry": "an apology for the wait when the thread is overdue, else nothing",
    "signature": "your name, as you sign in Sent",
}
SORRY = {"en": "Sorry for the wait.", "fr": "Toutes mes excuses pour ce délai."}


def check_template(text: str) -> None:
    """Raise ValueError naming the first placeholder that is not one of PLACEHOLDERS (or any
    use beyond a plain {name}: no attribute, index, conversion or format)."""
    try:
        fields = [(name, conversion, spec) for _, name, spec, conversion in Formatter().parse(text)]
    except ValueError as exc:  # a lone "{" or "}"
        raise ValueError(f"{exc} (write {{{{ and }}}} for braces)") from None
    for name, conversion, spec in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or conversion or spec:
            known = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {{{name}}}: use {known}")


def fill(template: str, values: dict[str, str]) -> str:
    """The template filled in; a line that held only placeholders left empty is dropped, so
    "{sorry}" alone on its line leaves no gap when there is nothing to say."""
    lines = []
    for line in template.splitlines():
        filled = line.format_map(values)
        if filled.strip() or not any(name for _, name, _, _ in Formatter().parse(line)):
            lines.append(filled.rstrip())
    return "\n".join(lines).strip("\n")
