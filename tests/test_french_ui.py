"""The whole run in French, as the owner gets it with LANG=fr_FR.UTF-8 or lang = "fr": the
table, the summary, Markdown, the email (text and HTML), an error, the commands' --help, `init`
and `schedule --check`, with no English word left outside what comes from the mailbox."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from inbox_audit.outputs.digest import build_email, build_failure_email
from tests.app.builders import fake_tools, nightly_job_config
from tests.builders import PARIS
from tests.dovecot import DovecotServer, MailUser
from tests.i18n_fixtures import english_words, speaking
from tests.outputs.digest_reports import SENDER, TO, crowded_report, parts

ROOT = Path(__file__).resolve().parents[1]
DEMO = [
    "audit",
    str(ROOT / "demo" / "mailbox"),
    "--as-of",
    "2026-11-20T09:00:00+01:00",
    "--timezone",
    "Europe/Paris",
    "--me",
    "claire@atelier-lumiere.fr",
    "--no-cache",
]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    environ.update(COLUMNS="500", HOME=os.environ.get("HOME", "/tmp"))
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "inbox_audit", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def _mail_data() -> list[str]:
    """What the demo's report shows that comes from its mail (subjects, names, replies...)."""
    done = _run([*DEMO, "--format", "json"], LANG="C.UTF-8")
    report = json.loads(done.stdout)
    found: list[str] = [report["source"], *report["identities"]]
    for thread in report["threads"]:
        found += [thread["subject"], thread["correspondent_name"], thread["folder"]]
        reply = thread["holding_reply"]
        if reply:
            found += [reply["subject"], *reply["body"].splitlines()]
    for folder in report["folders"]:
        found.append(folder["name"])
    return found


@pytest.fixture(scope="module")
def mail_data() -> list[str]:
    return _mail_data()


@pytest.mark.parametrize("fmt", ["table", "summary", "markdown"])
def test_reports_in_french(fmt: str, mail_data: list[str]) -> None:
    done = _run([*DEMO, "--format", fmt], LANG="fr_FR.UTF-8")
    assert done.returncode == 1, done.stderr  # overdue found
    assert "en retard" in done.stdout
    assert not english_words(done.stdout, mail_data, wrapped=fmt == "table"), done.stdout
    english = _run([*DEMO, "--format", fmt], LANG="en_US.UTF-8")
    assert "overdue" in english.stdout  # the same run in English: the check can fail


def test_the_config_language_wins_over_the_locale(tmp_path: Path, mail_data: list[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('lang = "fr"\n', encoding="utf-8")
    done = _run([*DEMO, "--config", str(config), "--format", "summary"], LANG="en_US.UTF-8")
    assert done.returncode == 1, done.stderr
    assert "client" in done.stdout and not english_words(done.stdout, mail_data)


def test_help_and_errors_in_french() -> None:
    shown = _run(["audit", "--help"], LANG="fr_FR.UTF-8")
    assert shown.returncode == 0
    assert "Afficher cette aide" in shown.stdout
    assert not english_words(shown.stdout), shown.stdout
    wrong = _run([*DEMO, "--as-of", "jeudi"], LANG="fr_FR.UTF-8")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("inbox-audit: erreur")
    assert not english_words(wrong.stderr), wrong.stderr
    zone = _run([*DEMO, "--timezone", "Mars/Olympus"], LANG="fr_FR.UTF-8")
    assert zone.returncode == 2
    assert "fuseau horaire 'Mars/Olympus' inconnu" in zone.stderr
    assert not english_words(zone.stderr), zone.stderr


def _visible(html_text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html_text)
    return html.unescape(text)


def test_the_email_in_french() -> None:
    report = crowded_report()
    mail = [report.source, *report.identities]
    for thread in report.threads:
        mail += [thread.subject, thread.correspondent.name, thread.correspondent.email]
        if thread.holding_reply:
            mail += [thread.holding_reply.subject, *thread.holding_reply.body.splitlines()]
    mail += [f.name for f in report.folders]
    with speaking("fr"):
        message = build_email(report, to=TO, sender=SENDER, tz=PARIS)
        failure = build_failure_email(
            error="login refused",  # the error text comes from the server: left as is
            hint=None,
            source="imaps://shop@example.com@imap.example.com",
            to=TO,
            sender=SENDER,
            now=report.as_of,
        )
    text, html_text = parts(message)
    assert str(message["Subject"]).startswith("inbox-audit\u00a0: 2 clients attendent")
    assert '<html lang="fr"' in html_text
    assert "jeu. 5 nov." in text and "Répondus sous 24 h" in html_text
    assert not english_words(text, mail), text
    assert not english_words(_visible(html_text), mail)
    failure_text, failure_html = parts(failure)
    mail += ["login refused"]
    assert "n'a pas pu auditer" in failure_text
    assert not english_words(failure_text, mail), failure_text
    assert not english_words(_visible(failure_html), mail)


def _help_words(shown: str) -> str:
    """A --help's words: without its usage line (the command as typed) nor the names of the
    commands it lists."""
    return re.sub(r"(?m)^  [a-z]+  ", " ", shown.split("\n", 1)[1])


@pytest.mark.parametrize("command", [[], ["init"], ["schedule"], ["password"]])
def test_the_setup_commands_help_in_french(command: list[str]) -> None:
    shown = _run([*command, "--help"], LANG="fr_FR.UTF-8")
    assert shown.returncode == 0, shown.stderr
    assert "Afficher cette aide" in shown.stdout
    assert not english_words(_help_words(shown.stdout)), shown.stdout
    english = _run([*command, "--help"], LANG="C.UTF-8")
    assert english_words(_help_words(english.stdout))  # the check can fail


def test_init_without_input_says_what_it_needs_in_french(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    done = _run(["init", "--no-input", "--config", str(config)], LANG="fr_FR.UTF-8")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("inbox-audit: erreur")
    assert "init --no-input demande --server" in done.stderr
    assert not english_words(done.stderr), done.stderr
    assert not config.exists()


def test_schedule_check_in_french(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nightly job installed in a (fake) crontab, then run as cron would: what the owner
    gets, said in the language of the shell that asks."""
    nightly_job_config(tmp_path)
    fake_tools(tmp_path, monkeypatch, None)  # the real user's crontab is never touched
    env = {
        "LANG": "fr_FR.UTF-8",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    missing = _run(["schedule", "--check"], **env)
    assert missing.returncode == 3, missing.stderr
    assert "inbox-audit-shop n'est pas dans votre crontab" in missing.stderr
    assert not english_words(missing.stderr), missing.stderr
    installed = _run(["schedule", "--install"], **env)
    assert installed.returncode == 0, installed.stderr
    assert "installée dans votre crontab" in installed.stderr
    assert not english_words(installed.stderr), installed.stderr
    checked = _run(["schedule", "--check"], **env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "comme cron la lance" in checked.stdout
    assert "OK\u00a0: aucun retard, donc pas de courriel cette nuit" in checked.stdout
    assert not english_words(checked.stdout), checked.stdout


STATS = ["stats", *DEMO[1:2], "--until", DEMO[3], *DEMO[4:]]


def _stats_mail_data() -> list[str]:
    """What `stats` shows that comes from the demo's mail: names, domains, subjects."""
    done = _run([*STATS, "--format", "json"], LANG="C.UTF-8")
    data = json.loads(done.stdout)
    found: list[str] = []
    for section in ("customers_kept_waiting", "domains_kept_waiting"):
        found += [w["name"] for w in data[section]]
    for item in data["awaiting_reply"]:
        found += [item["subject"], item["correspondent"], item["follow_up"]["subject"]]
    return found


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_stats_in_french(fmt: str) -> None:
    mail = _stats_mail_data()
    done = _run([*STATS, "--format", fmt], LANG="fr_FR.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "Délais de réponse" in done.stdout and "médiane" in done.stdout
    assert "En attente de leur réponse" in done.stdout
    assert not english_words(done.stdout, mail, wrapped=fmt == "table"), done.stdout
    english = _run([*STATS, "--format", fmt], LANG="en_US.UTF-8")
    assert english.returncode == 0, english.stderr
    assert "still waiting" in english.stdout  # the same run in English: the check can fail
    assert english_words(english.stdout, mail)


# --- Errors and hints raised below the app, and the command line's own mistakes ----------


def _both(args: list[str], **env: str) -> tuple[str, str]:
    """stderr of the same run in French and in English (the English run shows that the
    check can fail: the same words are there, in English)."""
    french = _run(args, LANG="fr_FR.UTF-8", **env)
    english = _run(args, LANG="en_US.UTF-8", **env)
    assert french.returncode == english.returncode != 0, french.stderr + english.stderr
    return french.stderr, english.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def no_config(tmp_path: Path) -> dict[str, str]:
    """The environment of an owner with no config file (nor its `lang`), and a password."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "INBOX_AUDIT_PASSWORD": "not-it"}


def test_connection_refused_in_french(no_config: dict[str, str]) -> None:
    url = f"imaps://shop@127.0.0.1:{_closed_port()}"
    french, english = _both(["audit", url, "--no-cache"], **no_config)
    assert "connexion refusée par 127.0.0.1:" in french
    assert not english_words(french), french
    assert "connection refused by" in english and english_words(english)


def test_tls_to_a_plaintext_port_in_french(
    dovecot: DovecotServer, mail_user: MailUser, no_config: dict[str, str]
) -> None:
    # imaps:// pointed at Dovecot's STARTTLS port: plain text where a TLS handshake was due.
    url = f"imaps://{mail_user.name}@{dovecot.host}:{dovecot.imap_port}"
    args = ["audit", url, "--ca-file", str(dovecot.ca_file), "--no-cache"]
    french, english = _both(args, **no_config)
    plain = f"imap://{mail_user.name}@{dovecot.host}:{dovecot.imap_port}"
    assert f"conseil\u00a0: le serveur n'a pas répondu en TLS\u00a0: essayez {plain}" in french
    assert "(STARTTLS) ou le port 993" in french
    assert not english_words(french), french
    assert "the server did not answer TLS" in english and english_words(english)


def test_login_refused_in_french(
    dovecot: DovecotServer, mail_user: MailUser, no_config: dict[str, str]
) -> None:
    args = ["audit", dovecot.url(mail_user), "--ca-file", str(dovecot.ca_file), "--no-cache"]
    french, english = _both(args, **no_config)  # INBOX_AUDIT_PASSWORD is a wrong one
    assert f"identification refusée pour {mail_user.name} sur {dovecot.host}" in french
    assert "vérifiez l'identifiant et le mot de passe" in french
    said = re.search(r"\[AUTHENTICATIONFAILED\][^\n]*", french)  # the server's own words
    assert not english_words(french, [said.group(0)] if said else []), french
    assert "login refused for" in english and english_words(english)


def test_a_config_file_error_in_french(tmp_path: Path, no_config: dict[str, str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[accounts.shop]\nsource = "/tmp"\nsla = [x\n', encoding="utf-8")
    french, english = _both(["audit", "--config", str(config), "--no-cache"], **no_config)
    assert "n'est pas du TOML valable\u00a0: erreur de syntaxe ligne 3" in french
    assert not english_words(french), french
    assert "is not valid TOML" in english and english_words(english)
    config.write_text('[accounts.shop]\nsource = "/tmp"\nsla_hours = 4\n', encoding="utf-8")
    french, english = _both(["audit", "--config", str(config), "--no-cache"], **no_config)
    assert "clé 'accounts.shop.sla_hours' inconnue" in french
    assert "vouliez-vous dire 'sla'\u00a0?" in french
    keys = french.rpartition("clés possibles ici\u00a0: ")[2].split()  # names, as typed
    assert "password," in keys
    assert not english_words(french, keys), french
    assert english_words(english)


def test_a_bad_sla_in_french(no_config: dict[str, str]) -> None:
    french, english = _both([*DEMO, "--sla", "bientôt"], **no_config)
    assert "durée 'bientôt' incorrecte" in french
    assert "conseil\u00a0: donnez un nombre et une unité" in french
    assert not english_words(french), french
    assert "invalid duration" in english and english_words(english)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["audit", "--nope"], "option inconnue\u00a0: --nope"),
        (["password", "set"], "l'argument 'ACCOUNT' manque."),
        (["audit", "a", "b", "c"], "argument(s) en trop\u00a0: b c"),
        (["audit", "x", "--timeout", "bof"], "un nombre d'au moins 1 est attendu"),
        (["audit", "x", "--sla"], "l'option '--sla' attend une valeur."),
    ],
)
def test_command_line_mistakes_in_french(
    args: list[str], said: str, no_config: dict[str, str]
) -> None:
    french, english = _both(args, **no_config)
    assert said in french
    assert "Erreur\u00a0:" in french
    # The command as typed (`python -m inbox_audit password set`) and [OPTIONS] are names.
    typed = french.replace("python -m inbox_audit", "inbox-audit").replace("[OPTIONS]", "")
    assert not english_words(typed), french
    assert "Error: " in english and english_words(english)
    if "Usage:" in english:  # with the usage line, and where to find help
        assert french.startswith("Utilisation\u00a0: python -m inbox_audit " + args[0])
        assert f"Pour l'aide\u00a0: 'python -m inbox_audit {args[0]}" in french
