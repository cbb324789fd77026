"""The first name a greeting uses: from the display name, else from the address."""

from __future__ import annotations

import pytest

from inbox_audit.core.names import first_name
from inbox_audit.model import Address


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Marie Dupont", "m@x.fr", "Marie"),
        ("Dupont, Marie", "m@x.fr", "Marie"),
        ("DUPONT Marie", "m@x.fr", "Marie"),
        ("DE LA FONTAINE Jean-Marc", "m@x.fr", "Jean-Marc"),
        ("Jean-Pierre Martin", "m@x.fr", "Jean-Pierre"),
        ("Jean-Pierre MARTIN", "m@x.fr", "Jean-Pierre"),
        ("Marie de la Fontaine", "m@x.fr", "Marie"),
        ("Dr. John Smith", "j@x.com", "John"),
        ("M. Pierre Durand", "p@x.fr", "Pierre"),
        ("Mme Durand", "d@x.fr", None),
        ("Dr Smith", "d@x.com", None),
        ("ACME SARL", "contact@acme.fr", None),
        ("Service client", "sav@x.fr", None),
        ("Info", "info@x.fr", None),
        ("La Poste", "x@laposte.fr", None),
        ("MARIE DUPONT", "m@x.fr", "Marie"),
        ("marie dupont", "m@x.fr", "Marie"),
        ("jean-pierre martin", "m@x.fr", "Jean-Pierre"),
        ("DUPONT", "m@x.fr", None),  # capitals alone: a surname or a brand
        ("Hélène", "h@x.fr", "Hélène"),
        ("McKenzie Smith", "m@x.com", "McKenzie"),
        ("Marie Dupont (ACME)", "m@x.fr", "Marie"),
        ("Marie Dupont | ACME", "m@x.fr", "Marie"),
        ("'Marie Dupont' via LinkedIn", "m@x.fr", "Marie"),
        ("Marie Dupont, ACME SARL", "m@x.fr", "Marie"),
        ("John Smith, PhD", "j@x.com", "John"),
        ("J. Smith", "j@x.com", None),
        ("J.-P. Martin", "j@x.fr", None),
        ("J.P. MARTIN", "j@x.fr", None),
        ("Marie et Paul Dupont", "m@x.fr", None),
        ("Client 1234", "c@x.fr", None),
        ("🌸 Marie Dupont", "m@x.fr", "Marie"),
        ("", "marie.dupont@x.fr", "Marie"),
        ("", "jean-pierre.martin@x.fr", "Jean-Pierre"),
        ("", "marie_dupont75+shop@x.fr", "Marie"),
        ("", "jdupont@x.fr", None),
        ("", "m.dupont@x.fr", None),
        ("", "contact.boutique@x.fr", None),
        ("", "info@x.fr", None),
        ("marie.dupont@gmail.com", "marie.dupont@gmail.com", "Marie"),
    ],
)
def test_first_name(name: str, email: str, expected: str | None) -> None:
    assert first_name(Address(email, name)) == expected


def test_first_name_of_a_wordless_name_reads_each_address() -> None:
    # The display name's verdict is remembered; the address fallback is not.
    assert first_name(Address("marie.dupont@example.fr", "😀")) == "Marie"
    assert first_name(Address("jean.martin@example.fr", "😀")) == "Jean"
