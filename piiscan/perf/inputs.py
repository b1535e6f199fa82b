"""Inputs for the benchmarks: distinct Faker-made documents, so no page costs less than a real one.

Every page and upload differs (names, addresses, phones, e-mails and filler sentences drawn
from a seeded Faker), so neither the scanner's per-document work nor the service's reuse of
identical bytes can make a benchmark input free.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from faker import Faker

from piiscan.synth.render import image_bytes, text_image, text_pdf


def contract_pages(count: int, seed: int = 1) -> list[list[str]]:
    """Pages of a tenancy contract: two parties, an address, a phone, an e-mail, clauses, a signature."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    pages = []
    for number in range(1, count + 1):
        landlord, tenant, witness = fake.name(), fake.name(), fake.name()
        lines = [
            f"TENANCY AGREEMENT - SCHEDULE {number}",
            f"This agreement is made on {fake.date()} between {landlord} (the Landlord)",
            f"of {fake.street_address()}, {fake.city()}, {fake.state_abbr()} {fake.zipcode()}"
            f" and {tenant} (the Tenant).",
            f"The Tenant may be reached on (217) 555-01{rng.randint(10, 99)} or at {fake.user_name()}@example.com.",
            "",
        ]
        for clause in range(1, 9):
            lines += [
                f"{clause}. {fake.sentence(nb_words=14)}",
                f"   {fake.sentence(nb_words=14)}",
                f"   The rent of {rng.randint(1, 3)},{rng.randint(100, 999)}.00 per month is payable in advance on the"
                " first day of each",
                f"   {fake.sentence(nb_words=12)}",
            ]
        lines += [f"Signed for the Landlord by {landlord} in the presence of {witness}.", f"Page {number} of {count}"]
        pages.append(lines)
    return pages


def uploads(count: int, seed: int = 11) -> Iterator[tuple[str, bytes]]:
    """A mix of uploads, each with distinct bytes: chat screenshots, short letters as images,
    and three-page text-layer PDFs (names like ``0003-chat.png``)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    for index in range(count):
        kind = index % 3
        if kind == 0:
            lines = [
                f"{fake.user_name()}: thats {fake.name()}, {fake.street_address()}, {fake.city()}",
                f"{fake.user_name()}: call (510) 555-01{rng.randint(10, 99)}",
            ]
            yield f"{index:04d}-chat.png", image_bytes(text_image(lines, width=1300, font_size=26))
        elif kind == 1:
            lines = [fake.name(), fake.street_address(), f"{fake.city()}, {fake.state_abbr()} {fake.zipcode()}", ""]
            lines += [fake.sentence(nb_words=10) for _ in range(6)]
            lines += ["", f"Write to {fake.user_name()}@example.org", "Kind regards,", fake.name()]
            yield f"{index:04d}-letter.png", image_bytes(text_image(lines, width=1240, font_size=24))
        else:
            pages = contract_pages(3, seed=seed * 1000 + index)
            yield f"{index:04d}-contract.pdf", text_pdf(pages)
