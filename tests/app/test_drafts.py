"""--save-drafts on a local mbox (.eml files), the drafts' options and config keys, templates."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from inbox_audit.app.config import load_config
from inbox_audit.errors import ConfigError, ExitCode
from tests.app.builders import default_config, invoke, write_config
from tests.sources.mailfiles import mbox, message, write

AS_OF = "2024-01-10T09:00:00+01:00"


def shop(tmp_path: Path) -> Path:
    """An mbox with two customers waiting for days: both overdue."""
    return write(
        tmp_path / "shop.mbox",
        mbox(message("Devis table"), message("Quote")),
    )


def audit(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    return invoke(
        tmp_path,
        "audit",
        str(shop(tmp_path))
        if not (tmp_path / "shop.mbox").exists()
        else str(tmp_path / "shop.mbox"),
        "--as-of",
        AS_OF,
        "--me",
        "shop@example.com",
        "--format",
        "json",
        *args,
    )


def emls(directory: Path) -> dict[str, email.message.EmailMessage]:
    return {
        path.name: email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(directory.glob("*.eml"))
    }


def test_a_local_source_gets_one_eml_per_overdue_thread_once(tmp_path: Path) -> None:
    out = tmp_path / "drafts"
    code, stdout, stderr = audit(tmp_path, "--save-drafts", "--drafts-dir", str(out))
    assert code == ExitCode.OVERDUE_FOUND, stderr
    assert json.loads(stdout)["summary"]["overdue"] == 2  # the report is untouched
    saved = emls(out)
    assert len(saved) == 2
    devis = next(m for m in saved.values() if m["Subject"] == "Re: Devis table")
    assert devis["In-Reply-To"] == "<Devis-table@example.org>"
    assert devis["From"] == "shop@example.com"
    assert "2 new drafts saved" in stderr

    # A second run writes none; a deleted file is not written again; an edited one stays.
    (name_a, _), (name_b, _) = saved.items()
    (out / name_a).unlink()
    (out / name_b).write_bytes((out / name_b).read_bytes() + b"P.S. edited\r\n")
    _, _, stderr = audit(tmp_path, "--save-drafts", "--drafts-dir", str(out))
    assert "0 new drafts saved" in stderr
    assert [p.name for p in out.glob("*.eml")] == [name_b]


def test_an_untouched_file_goes_when_its_thread_is_answered_and_follow_ups_come(
    tmp_path: Path,
) -> None:
    out = tmp_path / "drafts"
    audit(tmp_path, "--save-drafts", "--drafts-dir", str(out))
    assert len(emls(out)) == 2
    # The owner answers both; the audit sees it next time.
    replies = "".join(
        "From shop@example.com Wed Jan  3 08:00:00 2024\n"
        f"From: Claire Martin <shop@example.com>\nTo: {to}\nSubject: Re: {subject}\n"
        f"Date: Wed, 03 Jan 2024 09:00:00 +0100\nMessage-ID: <r-{subject[0]}@example.com>\n"
        f"In-Reply-To: <{subject.replace(' ', '-')}@example.org>\n\nVoici.\n\n"
        for subject, to in (("Devis table", "client@example.org"), ("Quote", "client@example.org"))
    )
    with (tmp_path / "shop.mbox").open("a", encoding="utf-8") as mailbox:
        mailbox.write(replies)
    _, stdout, stderr = audit(tmp_path, "--save-drafts", "--drafts-dir", str(out))
    assert json.loads(stdout)["summary"]["overdue"] == 0
    assert "2 drafts of answered threads removed" in stderr
    # Both replies name a quote ("Devis") and a week went by: each gets a follow-up instead,
    # threaded under the owner's reply.
    assert "2 new drafts saved" in stderr
    follow_ups = {m["In-Reply-To"]: m for m in emls(out).values()}
    assert sorted(follow_ups) == ["<r-D@example.com>", "<r-Q@example.com>"]
    assert all(m["Subject"].startswith("Re: ") for m in follow_ups.values())


def test_dry_run_shows_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "drafts"
    code, stdout, stderr = audit(tmp_path, "--dry-run", "--drafts-dir", str(out))
    assert code == ExitCode.OVERDUE_FOUND
    json.loads(stdout)  # stdout is the report alone
    assert f"2 drafts would be saved in {out}" in stderr
    assert "Subject: Re: Quote" in stderr and "In-Reply-To: <Quote@example.org>" in stderr
    assert not out.exists()


def test_drafts_options_need_save_drafts(tmp_path: Path) -> None:
    code, _, stderr = audit(tmp_path, "--drafts-folder", "Drafts")
    assert code == ExitCode.USAGE
    assert "need --save-drafts" in stderr


def test_save_drafts_from_the_account(tmp_path: Path) -> None:
    shop(tmp_path)
    out = tmp_path / "from-config"
    default_config(
        tmp_path,
        f'[accounts.shop]\nsource = "{tmp_path / "shop.mbox"}"\nme = "shop@example.com"\n'
        f'save_drafts = "all"\ndrafts_dir = "{out}"\n',
    )
    code, _, stderr = invoke(tmp_path, "audit", "--as-of", AS_OF, "--format", "json")
    assert code == ExitCode.OVERDUE_FOUND, stderr
    assert len(emls(out)) == 2


@pytest.mark.parametrize(
    ("value", "expected"), [("true", "overdue"), ("false", ""), ('"all"', "all")]
)
def test_save_drafts_key(tmp_path: Path, value: str, expected: str) -> None:
    path = write_config(tmp_path, f'[accounts.shop]\nsave_drafts = {value}\ndrafts_folder = "B"\n')
    config = load_config(path, env={})
    assert config is not None
    account = config.accounts["shop"]
    assert account.save_drafts == expected and account.drafts_folder == "B"


def test_a_wrong_save_drafts_value_is_a_config_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[accounts.shop]\nsave_drafts = "pending"\n')
    with pytest.raises(ConfigError, match='true, false or "all"'):
        load_config(path, env={})


def test_the_owners_template_words_every_reply(tmp_path: Path) -> None:
    template = tmp_path / "xdg" / "inbox-audit" / "holding-reply.en.txt"
    write(template, "{greeting}\n\nGot it: {topic}. Back to you {promise}. {sorry}\n{signature}\n")
    out = tmp_path / "drafts"
    _, stdout, _ = audit(tmp_path, "--save-drafts", "--drafts-dir", str(out), "--lang", "en")
    bodies = [
        t["holding_reply"]["body"] for t in json.loads(stdout)["threads"] if t["holding_reply"]
    ]
    assert bodies and all(b.startswith("Hello") and "Got it: " in b for b in bodies)
    assert all("Sorry for the wait." in b for b in bodies)  # both are overdue
    saved = [m.get_body(("plain",)).get_content() for m in emls(out).values()]  # type: ignore[union-attr]
    assert sorted(s.replace("\r\n", "\n").rstrip("\n") for s in saved) == sorted(bodies)


def test_an_unknown_placeholder_stops_the_run_before_any_mail_is_read(tmp_path: Path) -> None:
    write(tmp_path / "xdg" / "inbox-audit" / "holding-reply.fr.txt", "Bonjour {prenom},\n")
    code, stdout, stderr = audit(tmp_path)
    assert code == ExitCode.CONFIG
    assert stdout == ""
    assert "holding-reply.fr.txt" in stderr and "unknown placeholder {prenom}" in stderr


def test_save_drafts_equals_all_is_the_all_flag(tmp_path: Path) -> None:
    """The issue's spelling `--save-drafts=all` works from the real command line (typer alone
    would refuse a value on a flag) and saves what --save-drafts-all saves."""
    import os
    import subprocess
    import sys

    from inbox_audit.app.cli import spelled

    assert spelled(["audit", "--save-drafts=all", "x"]) == ["audit", "--save-drafts-all", "x"]
    assert spelled(["--save-drafts=overdue"]) == ["--save-drafts"]
    source = shop(tmp_path)
    saved = {}
    for spelling in ("--save-drafts=all", "--save-drafts-all"):
        out = tmp_path / spelling.strip("-").replace("=", "-")
        env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "LANG": "C"}
        env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
        done = subprocess.run(
            [sys.executable, "-m", "inbox_audit", "audit", str(source), "--as-of", AS_OF,
             "--me", "shop@example.com", "--format", "json", spelling, "--drafts-dir", str(out)],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == int(ExitCode.OVERDUE_FOUND), done.stderr
        saved[spelling] = sorted(path.name for path in out.glob("*.eml"))
    assert len(saved["--save-drafts=all"]) == 2
    assert saved["--save-drafts=all"] == saved["--save-drafts-all"]
