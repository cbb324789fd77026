"""The owner's own domains: derived from their addresses, never a webmail's."""

from __future__ import annotations

import pytest

from inbox_audit.core.domains import internal_domains, is_internal, is_public_mail_domain


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "GMAIL.COM",
        "outlook.fr",
        "outlook.com",
        "hotmail.co.uk",
        "hotmail.com.br",
        "live.fr",
        "yahoo.fr",
        "yahoo.co.jp",
        "icloud.com",
        "me.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "laposte.net",
        "proton.me",
        "protonmail.com",
    ],
)
def test_public_mail_domains(domain: str) -> None:
    assert is_public_mail_domain(domain)


@pytest.mark.parametrize(
    "domain",
    [
        "atelier-lumiere.fr",
        "live-events.fr",
        "outlook-conseil.fr",
        "yahoo.example.org",
        "mail.yahoo-partners.com",
        "laposte.fr",
    ],
)
def test_business_domains_are_not_public(domain: str) -> None:
    # laposte.fr is La Poste's own staff; laposte.net is the public webmail.
    assert not is_public_mail_domain(domain)


def test_internal_domains_are_the_owners_own_and_those_named() -> None:
    me = ["claire@atelier-lumiere.fr", "claire.martin@gmail.com", "contact@Atelier-Lumiere.fr"]
    assert internal_domains(me) == frozenset({"atelier-lumiere.fr"})
    named = ["@cabinet-compta.fr", "Studio-Nord.de."]
    assert internal_domains(me, named) == frozenset(
        {"atelier-lumiere.fr", "cabinet-compta.fr", "studio-nord.de"}
    )
    # An owner with only a webmail address has no colleagues by domain.
    assert internal_domains(["claire.martin@orange.fr"]) == frozenset()


def test_is_internal_takes_subdomains_not_lookalikes() -> None:
    domains = frozenset({"atelier-lumiere.fr"})
    assert is_internal("paul@atelier-lumiere.fr", domains)
    assert is_internal("paul@paris.atelier-lumiere.fr", domains)
    assert is_internal("Paul@ATELIER-LUMIERE.FR", domains)
    assert not is_internal("paul@autre-atelier-lumiere.fr", domains)
    assert not is_internal("paul@atelier-lumiere.fr.evil.example", domains)
    assert not is_internal("mailer-daemon", domains)
