"""Where a setting came from, a flag or the config file, to blame the right one when it is wrong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from inbox_audit.app.config import ConfigFile
from inbox_audit.app.console import worded
from inbox_audit.errors import ConfigError, UsageError
from inbox_audit.i18n import _

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Origin:
    """Where a value came from, to blame the right thing: a flag (exit 2) or the file (3)."""

    flag: str
    key: str | None = None  # set when the value came from the file
    config: ConfigFile | None = None
    section: str = ""

    def describe(self) -> str:
        """'--ca-file', or "'ca_file' in [accounts.shop] of /home/me/.config/...": for errors."""
        if self.config is None or self.key is None:
            return self.flag
        if self.section:
            return _("'{key}' in [{section}] of {path}").format(
                key=self.key, section=self.section, path=self.config.path
            )
        return _("'{key}' in {path}").format(key=self.key, path=self.config.path)

    def parse(self, parse: Callable[[T], R], value: T) -> R:
        try:
            return parse(value)
        except UsageError as exc:
            if self.config is None or self.key is None:
                raise
            message, hint = worded(exc)
            raise ConfigError(f"{message} ({self.describe()})", hint=hint) from None


@dataclass(frozen=True)
class Picker:
    """Picks a setting: the flag's value, else the file's (in `section` of `config`), else
    None; with where it came from."""

    config: ConfigFile | None
    section: str

    def __call__(
        self, flag_value: T | None, flag: str, file_value: T | None, key: str
    ) -> tuple[T | None, Origin]:
        if flag_value is not None:
            return flag_value, Origin(flag)
        if file_value is not None:
            return file_value, Origin(flag, key, self.config, self.section)
        return None, Origin(flag)


def check_file(path: Path, origin: Origin) -> None:
    # A configuration error whichever way it was given (the file named does not exist).
    if not path.is_file():
        raise ConfigError(
            _("{setting} {path} is not a readable file").format(
                setting=origin.describe(), path=path
            )
        )
