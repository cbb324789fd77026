"""Folder roles: special-use first, then names in many languages; what is scanned."""

from __future__ import annotations

import pytest

from inbox_audit.core.folders import assign_roles
from inbox_audit.errors import FolderNotFound
from inbox_audit.model import Folder, FolderRole, ListedFolder

R = FolderRole


def listed(name: str, *attributes: str, delimiter: str | None = "/") -> ListedFolder:
    attrs = frozenset(a.lower() for a in attributes)
    return ListedFolder(
        name=name,
        attributes=attrs,
        delimiter=delimiter,
        selectable=not ({"\\noselect", "\\nonexistent"} & attrs),
    )


def roles(*folders: ListedFolder, **kwargs: object) -> dict[str, tuple[FolderRole, bool]]:
    result = assign_roles(list(folders), **kwargs)  # type: ignore[arg-type]
    return {f.name: (f.role, f.scanned) for f in result}


# (folder name, delimiter, expected role) for folders without special-use attributes.
BY_NAME = [
    ("INBOX", "/", R.INBOX),
    ("Inbox", "/", R.INBOX),
    ("Sent", "/", R.SENT),
    ("sent items", "/", R.SENT),
    ("Sent Messages", "/", R.SENT),
    ("INBOX.Sent", ".", R.SENT),
    ("INBOX/Sent Items", "/", R.SENT),
    ("INBOX.Sent Mail", None, R.SENT),
    ("[Gmail]/Sent Mail", "/", R.SENT),
    ("[Google Mail]/Sent Mail", "/", R.SENT),
    ("Envoyés", "/", R.SENT),
    ("ENVOYÉS", "/", R.SENT),
    ("Envoye\u0301s", "/", R.SENT),  # decomposed é (macOS clients write NFD)
    ("Éléments envoyés", "/", R.SENT),
    ("Messages envoyés", "/", R.SENT),
    ("Gesendet", "/", R.SENT),
    ("Gesendete Elemente", "/", R.SENT),
    ("Gesendete Objekte", "/", R.SENT),
    ("Enviados", "/", R.SENT),
    ("Elementos enviados", "/", R.SENT),
    ("Posta inviata", "/", R.SENT),
    ("Verzonden items", "/", R.SENT),
    ("Skickat", "/", R.SENT),
    ("Sendt", "/", R.SENT),
    ("Wysłane", "/", R.SENT),
    ("Itens Enviados", "/", R.SENT),
    ("Отправленные", "/", R.SENT),
    ("[Gmail]/Отправленные", "/", R.SENT),
    ("Drafts", "/", R.DRAFTS),
    ("Brouillons", "/", R.DRAFTS),
    ("Entwürfe", "/", R.DRAFTS),
    ("Borradores", "/", R.DRAFTS),
    ("Bozze", "/", R.DRAFTS),
    ("Concepten", "/", R.DRAFTS),
    ("Outbox", "/", R.DRAFTS),
    ("Boîte d'envoi", "/", R.DRAFTS),
    ("Trash", "/", R.TRASH),
    ("Deleted Items", "/", R.TRASH),
    ("Deleted Messages", "/", R.TRASH),
    ("Bin", "/", R.TRASH),
    ("Corbeille", "/", R.TRASH),
    ("Éléments supprimés", "/", R.TRASH),
    ("Papierkorb", "/", R.TRASH),
    ("Gelöschte Elemente", "/", R.TRASH),
    ("Papelera", "/", R.TRASH),
    ("Cestino", "/", R.TRASH),
    ("Prullenbak", "/", R.TRASH),
    ("INBOX.Trash", ".", R.TRASH),
    ("Junk", "/", R.JUNK),
    ("Spam", "/", R.JUNK),
    ("Junk E-mail", "/", R.JUNK),
    ("Courrier indésirable", "/", R.JUNK),
    ("Indésirables", "/", R.JUNK),
    ("Pourriel", "/", R.JUNK),
    ("Junk-E-Mail", "/", R.JUNK),
    ("Spam-Verdacht", "/", R.JUNK),
    ("Correo no deseado", "/", R.JUNK),
    ("[Gmail]/Spam", "/", R.JUNK),
    ("Archive", "/", R.ARCHIVE),
    ("Archives", "/", R.ARCHIVE),
    ("Archiv", "/", R.ARCHIVE),
    ("[Gmail]/All Mail", "/", R.ALL),
    ("[Gmail]/Tous les messages", "/", R.ALL),
    ("[Google Mail]/Alle Nachrichten", "/", R.ALL),
    ("Clients", "/", R.OTHER),
    ("Archives/Clients", "/", R.OTHER),
    ("Clients/Acme/Sent", "/", R.OTHER),  # a customer's folder, not the account's Sent
    ("INBOX/Clients", "/", R.OTHER),
    ("Sentinel", "/", R.OTHER),
    # Gmail-like names under Cyrus' standard namespace (personal prefix "INBOX.").
    ("INBOX.[Gmail].Spam", ".", R.JUNK),
    ("INBOX.[Gmail].Sent Mail", ".", R.SENT),
    ("INBOX.Clients.Sent", ".", R.OTHER),  # still a customer's folder
]


@pytest.mark.parametrize(("name", "delimiter", "role"), BY_NAME)
def test_role_by_name(name: str, delimiter: str | None, role: FolderRole) -> None:
    [folder] = assign_roles([listed(name, delimiter=delimiter)])
    assert folder.role is role
    assert folder.scanned is (role not in {R.DRAFTS, R.TRASH, R.JUNK})


@pytest.mark.parametrize(
    ("attribute", "role"),
    [
        ("\\Sent", R.SENT),
        ("\\Drafts", R.DRAFTS),
        ("\\Trash", R.TRASH),
        ("\\Junk", R.JUNK),
        ("\\All", R.ALL),
        ("\\Archive", R.ARCHIVE),
        ("\\AllMail", R.ALL),  # Gmail's old XLIST
        ("\\Spam", R.JUNK),
        ("\\Flagged", R.OTHER),
        ("\\Important", R.OTHER),
    ],
)
def test_special_use_wins_over_name(attribute: str, role: FolderRole) -> None:
    # "Correspondance" means nothing by name: only the attribute can give it a role.
    [folder] = assign_roles([listed("Correspondance", attribute, "\\HasNoChildren")])
    assert folder.role is role
    [named_wrong] = assign_roles([listed("Trash", attribute)])
    assert named_wrong.role is (role if role is not R.OTHER else R.TRASH)


def test_plain_layout_scans_inbox_sent_archive_only() -> None:
    result = roles(
        listed("INBOX"),
        listed("Sent", "\\Sent"),
        listed("Drafts", "\\Drafts"),
        listed("Trash", "\\Trash"),
        listed("Junk", "\\Junk"),
        listed("Archive", "\\Archive"),
    )
    assert result == {
        "INBOX": (R.INBOX, True),
        "Sent": (R.SENT, True),
        "Drafts": (R.DRAFTS, False),
        "Trash": (R.TRASH, False),
        "Junk": (R.JUNK, False),
        "Archive": (R.ARCHIVE, True),
    }


def test_gmail_layout() -> None:
    result = roles(
        listed("INBOX", "\\HasNoChildren"),
        listed("[Gmail]", "\\Noselect", "\\HasChildren"),
        listed("[Gmail]/All Mail", "\\All"),
        listed("[Gmail]/Sent Mail", "\\Sent"),
        listed("[Gmail]/Drafts", "\\Drafts"),
        listed("[Gmail]/Spam", "\\Junk"),
        listed("[Gmail]/Trash", "\\Trash"),
        listed("[Gmail]/Starred", "\\Flagged"),
        listed("Clients/Acme"),
    )
    assert result == {
        "INBOX": (R.INBOX, True),
        "[Gmail]": (R.OTHER, False),
        "[Gmail]/All Mail": (R.ALL, True),
        "[Gmail]/Sent Mail": (R.SENT, True),
        "[Gmail]/Drafts": (R.DRAFTS, False),
        "[Gmail]/Spam": (R.JUNK, False),
        "[Gmail]/Trash": (R.TRASH, False),
        "[Gmail]/Starred": (R.OTHER, True),
        "Clients/Acme": (R.OTHER, True),
    }


def test_localized_name_under_noselect_container() -> None:
    result = roles(listed("Mail", "\\Noselect"), listed("Mail/Gesendet"), listed("Mail/Kunden"))
    assert result["Mail/Gesendet"] == (R.SENT, True)
    assert result["Mail/Kunden"] == (R.OTHER, True)
    assert result["Mail"] == (R.OTHER, False)


def test_subfolders_of_trash_junk_drafts_are_not_scanned() -> None:
    result = roles(
        listed("INBOX.Trash", delimiter="."),
        listed("INBOX.Trash.2023", delimiter="."),
        listed("Spam", "\\Junk"),
        listed("Spam/Old/Older", "\\HasNoChildren"),
        listed("Drafts"),
        listed("Drafts/Templates"),
        listed("Archive/2023"),
    )
    assert result["INBOX.Trash.2023"] == (R.TRASH, False)
    assert result["Spam/Old/Older"] == (R.JUNK, False)
    assert result["Drafts/Templates"] == (R.DRAFTS, False)
    assert result["Archive/2023"] == (R.OTHER, True)


@pytest.mark.parametrize("attribute", ["\\Noselect", "\\NonExistent"])
def test_unselectable_folders_are_listed_not_scanned(attribute: str) -> None:
    [folder] = assign_roles([listed("Archives", attribute)])
    assert folder == Folder(name="Archives", role=R.ARCHIVE, scanned=False)


def test_skip_by_name_case_insensitively() -> None:
    result = roles(listed("INBOX"), listed("Newsletters"), listed("Clients"), skip=["newsletters"])
    assert result == {
        "INBOX": (R.INBOX, True),
        "Newsletters": (R.OTHER, False),
        "Clients": (R.OTHER, True),
    }


def test_sent_override_is_the_only_sent_folder() -> None:
    result = roles(
        listed("INBOX"),
        listed("Sent", "\\Sent"),
        listed("Sent Items"),
        listed("Envoyés par moi"),
        sent_override="Envoyés par moi",
    )
    assert result == {
        "INBOX": (R.INBOX, True),
        "Sent": (R.OTHER, True),
        "Sent Items": (R.OTHER, True),
        "Envoyés par moi": (R.SENT, True),
    }


def test_sent_override_matches_case_insensitively() -> None:
    result = roles(listed("INBOX"), listed("Mes Envois"), sent_override="mes envois")
    assert result["Mes Envois"] == (R.SENT, True)


def test_missing_sent_override_lists_available_folders() -> None:
    with pytest.raises(FolderNotFound) as caught:
        assign_roles(
            [listed("INBOX"), listed("Sent"), listed("[Gmail]", "\\Noselect")],
            sent_override="Envoyés",
        )
    assert "Envoyés" in str(caught.value)
    assert caught.value.hint == "available folders: INBOX, Sent"


def test_order_is_kept_and_counts_unknown() -> None:
    names = ["Zeta", "INBOX", "Alpha", "Sent"]
    result = assign_roles([listed(n) for n in names])
    assert [f.name for f in result] == names
    assert all(f.messages is None for f in result)
