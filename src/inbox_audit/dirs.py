"""Private directories: made 0700, with every missing parent, whatever the umask."""

from __future__ import annotations

from pathlib import Path


def private_dir(path: Path) -> None:
    """Make `path` and its missing parents, each 0700: they hold mail headers, reports and
    settings. `mkdir(parents=True)` makes the parents 0777 minus the umask (0777 under umask
    000, as some cron and container set-ups run); the XDG Base Directory spec asks 0700."""
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is cut by the umask (0700 is, by 077 and 000 alike)
