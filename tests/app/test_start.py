"""The program's start: the owner's language read from the config file before the command line."""

from __future__ import annotations

from pathlib import Path

from inbox_audit.app.start import configured_language


def test_the_config_file_language_is_read_before_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[accounts.shop]\nsource = "x"\nlang = "fr"\n', encoding="utf-8")
    assert configured_language(["audit", "--config", str(config)], {}) == "fr"
    config.write_text('lang = "en"\n[accounts.shop]\nlang = "fr"\n', encoding="utf-8")
    assert configured_language([f"--config={config}"], {}) == "en"  # the top level first
    home = tmp_path / "xdg"
    (home / "inbox-audit").mkdir(parents=True)
    (home / "inbox-audit" / "config.toml").write_text(
        'default_account = "b"\n[accounts.a]\nlang = "en"\n[accounts.b]\nlang = "fr"\n',
        encoding="utf-8",
    )
    environ = {"XDG_CONFIG_HOME": str(home)}
    assert configured_language(["audit"], environ) == "fr"
    assert configured_language(["audit", "--account", "a"], environ) == "en"
    config.write_text("not toml [", encoding="utf-8")
    assert configured_language(["--config", str(config)], {}) is None  # reported later
