"""Give each listed folder a role (RFC 6154 special-use, else its name) and decide what is read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace

from inbox_audit.errors import N_, FolderNotFound
from inbox_audit.model import SKIPPED_ROLES, Folder, FolderRole, ListedFolder

# RFC 6154 attributes, plus the older Gmail XLIST ones (\AllMail, \Spam, \Inbox).
_SPECIAL_USE: dict[str, FolderRole] = {
    "\\sent": FolderRole.SENT,
    "\\drafts": FolderRole.DRAFTS,
    "\\trash": FolderRole.TRASH,
    "\\junk": FolderRole.JUNK,
    "\\spam": FolderRole.JUNK,
    "\\all": FolderRole.ALL,
    "\\allmail": FolderRole.ALL,
    "\\archive": FolderRole.ARCHIVE,
    "\\inbox": FolderRole.INBOX,
}
# When a folder carries several special-use attributes, the first role here wins.
_PRIORITY = (
    FolderRole.INBOX,
    FolderRole.SENT,
    FolderRole.DRAFTS,
    FolderRole.TRASH,
    FolderRole.JUNK,
    FolderRole.ALL,
    FolderRole.ARCHIVE,
)

# Unsent mail waiting to go out: like drafts, nothing a customer sent; but no place for a draft.
_OUTBOXES = (
    "Outbox", "Boîte d'envoi", "Postausgang", "Bandeja de salida", "Posta in uscita",
    "Postvak UIT", "Caixa de saída", "Skrzynka nadawcza", "Исходящие",
)  # fmt: skip
# Names clients and providers give these folders (compared case-insensitively, NFC).
_NAMES: dict[FolderRole, tuple[str, ...]] = {
    FolderRole.SENT: (
        "Sent", "Sent Items", "Sent Messages", "Sent Mail", "Sent-Mail", "Sent Email",
        "Envoyés", "Éléments envoyés", "Messages envoyés", "Mails envoyés", "E-mails envoyés",
        "Gesendet", "Gesendete Elemente", "Gesendete Objekte", "Gesendete Nachrichten",
        "Enviados", "Elementos enviados", "Mensajes enviados", "Correo enviado",
        "Posta inviata", "Inviati", "Elementi inviati", "Messaggi inviati",
        "Verzonden", "Verzonden items", "Verzonden berichten",
        "Skickat", "Skickade objekt", "Sendt", "Sendte elementer", "Sendte", "Lähetetyt",
        "Wysłane", "Elementy wysłane", "Itens Enviados", "E-mails enviados", "Mensagens enviadas",
        "Odeslané", "Elküldött", "Trimise", "Gönderilmiş", "Gönderilenler", "Отправленные",
        "Надіслані", "Απεσταλμένα", "已发送", "已傳送", "送信済み", "보낸편지함",
    ),
    FolderRole.DRAFTS: (
        "Drafts", "Draft", "Brouillons", "Entwürfe", "Borradores", "Bozze", "Concepten",
        "Utkast", "Kladder", "Luonnokset", "Wersje robocze", "Rascunhos", "Koncepty",
        "Piszkozatok", "Черновики", "Чернетки", "Πρόχειρα", "草稿", "下書き", "임시보관함",
        *_OUTBOXES,
    ),
    FolderRole.TRASH: (
        "Trash", "Deleted", "Deleted Items", "Deleted Messages", "Bin", "Recycle Bin",
        "Corbeille", "Éléments supprimés", "Messages supprimés", "Papierkorb",
        "Gelöschte Elemente", "Gelöschte Objekte", "Papelera", "Elementos eliminados",
        "Cestino", "Posta eliminata", "Elementi eliminati", "Prullenbak",
        "Verwijderde items", "Papperskorgen", "Borttagna objekt", "Papirkurv", "Slettet",
        "Kosz", "Elementy usunięte", "Lixeira", "Lixo", "Itens Excluídos", "Itens eliminados",
        "Koš", "Kuka", "Roskakori", "Корзина", "Удаленные", "Удалённые", "Кошик",
        "Κάδος απορριμμάτων", "已删除", "ゴミ箱", "휴지통",
    ),
    FolderRole.JUNK: (
        "Junk", "Spam", "Junk E-mail", "Junk Email", "Junk Mail", "Bulk Mail",
        "Courrier indésirable", "Indésirables", "Pourriel", "Pourriels", "Junk-E-Mail",
        "Spam-Verdacht", "Correo no deseado", "Posta indesiderata", "Ongewenste e-mail",
        "Skräppost", "Søppelpost", "Uønsket e-mail", "Roskaposti", "Wiadomości-śmieci",
        "Lixo eletrônico", "Nevyžádaná pošta", "Нежелательная почта", "Спам", "垃圾邮件",
        "迷惑メール",
    ),
    FolderRole.ARCHIVE: (
        "Archive", "Archives", "Archived", "Archiv", "Archivo", "Archivio", "Archief",
        "Arkiv", "Arkisto", "Archiwum", "Arquivo", "Arquivos", "Архив", "アーカイブ", "存档",
    ),
    FolderRole.ALL: (
        "All Mail", "Tous les messages", "Alle Nachrichten", "Todos", "Tutti i messaggi",
        "Alle berichten", "Alla mail", "All e-post", "Alle e-mails", "Wszystkie",
        "Todos os e-mails", "Všechny zprávy", "Вся почта", "所有邮件", "すべてのメール",
    ),
}  # fmt: skip
# Parents under which a well-known name still means the account's folder: the namespace
# prefix of Courier/Cyrus-style servers, and Gmail's container.
_CONTAINERS = frozenset({"inbox", "[gmail]", "[google mail]"})
_UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


_BY_NAME: dict[str, FolderRole] = {
    _fold(name): role for role, names in _NAMES.items() for name in names
}


def _parts(folder: ListedFolder) -> list[str]:
    if folder.delimiter:
        return folder.name.split(folder.delimiter)
    return [folder.name]


def _role_by_attributes(attributes: Iterable[str]) -> FolderRole | None:
    roles = {_SPECIAL_USE[a] for a in attributes if a in _SPECIAL_USE}
    return next((role for role in _PRIORITY if role in roles), None)


def _role_by_name(folder: ListedFolder, containers: frozenset[str]) -> FolderRole | None:
    """A well-known name at the top level, or right under INBOX / [Gmail] / a non-mail parent.

    A per-client folder such as "Clients/Acme/Sent" keeps role OTHER: it is the customer's
    folder, not the account's Sent folder.
    """
    name = _fold(folder.name)
    if name in _BY_NAME:
        return _BY_NAME[name]
    for prefix in ("inbox.", "inbox/"):
        if name.startswith(prefix) and name[len(prefix) :] in _BY_NAME:
            return _BY_NAME[name[len(prefix) :]]
    parts = _parts(folder)
    if len(parts) == 3 and _fold(parts[0]) == "inbox":
        # The personal namespace prefix of Cyrus' standard namespace and of Courier
        # (RFC 2342 §5): "INBOX.[Gmail].Sent Mail" is "[Gmail]/Sent Mail" there.
        parts = parts[1:]
    if len(parts) == 2 and (_fold(parts[0]) in _CONTAINERS or _fold(parts[0]) in containers):
        return _BY_NAME.get(_fold(parts[1]))
    return None


def _find(listed: Sequence[ListedFolder], name: str) -> ListedFolder | None:
    exact = [f for f in listed if f.name == name]
    if exact:
        return exact[0]
    folded = [f for f in listed if _fold(f.name) == _fold(name)]
    return folded[0] if len(folded) == 1 else None


def assign_roles(
    listed: Sequence[ListedFolder], sent_override: str | None = None, skip: Sequence[str] = ()
) -> list[Folder]:
    """Roles and scan decisions for every listed folder, in the order listed.

    Special-use attributes (RFC 6154) decide first, then well-known names in many languages.
    Drafts, Trash and Junk (and folders below them), folders named in `skip` and folders that
    cannot be selected are listed but not scanned. `sent_override` names the one Sent folder.
    """
    override = None
    if sent_override is not None:
        override = _find(listed, sent_override)
        if override is None:
            available = ", ".join(f.name for f in listed if f.selectable)
            raise FolderNotFound(
                N_("sent folder {name!r} not found"),
                hint=N_("available folders: {available}") if available else N_("no folder"),
                values={"name": sent_override, "available": available},
            )
    # Non-selectable parents (e.g. "[Gmail]", a "Mail" container) act like a namespace prefix.
    containers = frozenset(
        _fold(f.name) for f in listed if not f.selectable or _UNSELECTABLE & f.attributes
    )
    skipped = {_fold(name) for name in skip}

    roles: dict[str, FolderRole] = {}
    for folder in listed:
        if folder is override:
            role = FolderRole.SENT
        elif _fold(folder.name) == "inbox":
            role = FolderRole.INBOX
        else:
            role = (
                _role_by_attributes(folder.attributes)
                or _role_by_name(folder, containers)
                or FolderRole.OTHER
            )
            if override is not None and role is FolderRole.SENT:
                role = FolderRole.OTHER
        roles[folder.name] = role

    folders = []
    for folder in listed:
        role = roles[folder.name]
        if role is FolderRole.OTHER:
            role = _inherited_role(folder, roles)
        scanned = (
            folder.selectable
            and not (_UNSELECTABLE & folder.attributes)
            and role not in SKIPPED_ROLES
            and _fold(folder.name) not in skipped
        )
        folders.append(Folder(folder.name, role, scanned, unread=folder.unread))
    return folders


def not_read(folder: Folder, error: FolderNotFound) -> Folder:
    """The folder, marked as not read in full because of `error` (deleted while the audit ran,
    or a server answering NO to EXAMINE). Without the Sent folder every reply would look
    missing and the report would be wrong rather than incomplete: that stops the run."""
    if folder.role is FolderRole.SENT:
        raise FolderNotFound(
            N_("the Sent folder {name!r} could not be read: {reason}"),
            hint=N_(
                "without it every reply would look missing; run again, or name the Sent "
                "folder with --sent-folder"
            ),
            values={"name": folder.name, "reason": str(error)},
        ) from error
    return replace(folder, scanned=False, messages=None, unread=str(error))


def problem(folder: Folder) -> str:
    """How a folder not read in full is told, in every format."""
    return f"folder {folder.name!r} could not be read: {folder.unread}"


def _inherited_role(folder: ListedFolder, roles: dict[str, FolderRole]) -> FolderRole:
    """A folder below Trash, Junk or Drafts shares its ancestor's role (and is not scanned)."""
    parts = _parts(folder)
    for depth in range(len(parts) - 1, 0, -1):
        role = roles.get((folder.delimiter or "").join(parts[:depth]))
        if role is not None and role in SKIPPED_ROLES:
            return role
    return FolderRole.OTHER


def drafts_folder(folders: Sequence[Folder]) -> str | None:
    """Where drafts are saved: of the folders with the Drafts role (special-use `\\Drafts`,
    else a usual name, "[Gmail]/Drafts", "INBOX.Brouillons"...), the shortest name that is no
    outbox, so "Drafts/Old" (which inherits the role) is not chosen over "Drafts"."""
    outboxes = {_fold(name) for name in _OUTBOXES}
    candidates = [
        folder.name
        for folder in folders
        if folder.role is FolderRole.DRAFTS
        and _fold(re.split(r"[/.]", folder.name)[-1]) not in outboxes
    ]
    return min(candidates, key=len) if candidates else None
