"""The owner's own mail domains: their addresses' and the ones they name, never a webmail's."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

# Domains where anyone can open an address: sharing one with the owner makes no one a
# colleague. The big webmails, then the French, German, Belgian, Swiss, Italian, Spanish and
# British ISPs our users meet.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.fr",
        "msn.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "tutanota.com",
        "tuta.io",
        "zoho.com",
        "fastmail.com",
        "fastmail.fm",
        "mail.com",
        "email.com",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "hey.com",
        "posteo.de",
        "posteo.net",
        "mailbox.org",
        "gmx.net",
        "web.de",
        "t-online.de",
        "freenet.de",
        "arcor.de",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "cegetel.net",
        "club-internet.fr",
        "aliceadsl.fr",
        "laposte.net",
        "bbox.fr",
        "numericable.fr",
        "noos.fr",
        "libertysurf.fr",
        "tiscali.fr",
        "voila.fr",
        "caramail.com",
        "netcourrier.com",
        "mailo.com",
        "infonie.fr",
        "tele2.fr",
        "9online.fr",
        "nordnet.fr",
        "yopmail.com",
        "yopmail.fr",
        "skynet.be",
        "telenet.be",
        "proximus.be",
        "bluewin.ch",
        "sunrise.ch",
        "libero.it",
        "virgilio.it",
        "alice.it",
        "tiscali.it",
        "tin.it",
        "telefonica.net",
        "terra.es",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "ntlworld.com",
        "talktalk.net",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bellsouth.net",
        "earthlink.net",
        "cox.net",
        "charter.net",
        "shaw.ca",
        "rogers.com",
        "sympatico.ca",
        "videotron.ca",
        "bigpond.com",
        "optusnet.com.au",
        "xtra.co.nz",
    }
)
# Webmails with a domain in many countries ("outlook.fr", "yahoo.co.uk", "gmx.de"): their
# first label, followed by a country or generic suffix only, maybe after a second level.
_PUBLIC_FAMILIES = frozenset(
    {"outlook", "hotmail", "live", "yahoo", "ymail", "gmx", "windowslive", "rocketmail"}
)
_SECOND_LEVEL = frozenset({"co", "com", "ne", "net", "or", "org"})


@lru_cache(maxsize=1024)
def is_public_mail_domain(domain: str) -> bool:
    """Whether anyone can have an address at `domain` (a webmail or an ISP's)."""
    domain = domain.strip().rstrip(".").lower()
    labels = domain.split(".")
    if domain in PUBLIC_MAIL_DOMAINS:
        return True
    if labels[0] not in _PUBLIC_FAMILIES or len(labels[-1]) > 3:
        return False
    return len(labels) == 2 or (len(labels) == 3 and labels[1] in _SECOND_LEVEL)


def domain_of(address: str) -> str:
    """The lower-cased domain of an address, "" without one."""
    return address.rpartition("@")[2].strip().rstrip(".").lower() if "@" in address else ""


def internal_domains(me: Iterable[str], named: Iterable[str] = ()) -> frozenset[str]:
    """The owner's own domains: those of their addresses (`me`) that are not a webmail's, and
    those they name (`named`: --internal-domain, `internal_domains`), whatever they are."""
    own = {d for d in map(domain_of, me) if d and not is_public_mail_domain(d)}
    own.update(d.strip().lstrip("@").rstrip(".").lower() for d in named if d.strip())
    return frozenset(own)


def is_internal(address: str, domains: frozenset[str]) -> bool:
    """Whether `address` is at one of the owner's `domains` or a subdomain of one
    ("paris.shop.example" is the shop's too)."""
    domain = domain_of(address)
    while domain:
        if domain in domains:
            return True
        domain = domain.partition(".")[2]
    return False
