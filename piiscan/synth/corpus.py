"""A seeded, labelled synthetic corpus for measuring PII detection.

``generate(out_dir)`` renders a few files of every kind below (letters, chat
screenshots, forms, identity documents, receipts, honest negatives, PDFs, DOCX,
geotagged photos and German/French/Spanish letters) and writes ``labels.json``
next to them::

    {"version": 1, "seed": 7, "files": {"form/form_00.png": {
        "kind": "form", "language": "en", "expected_verdict": "sensitive_document",
        "clean_scan": true,
        "entities": [{"entity_type": "EMAIL_ADDRESS", "text": "...", "page": 1}]}}}

Labelling conventions:

* Only what is visibly present is labelled, and every label's text is exactly what was
  rendered (checked while generating). Each distinct value is labelled once per page,
  however often it is repeated there.
* ``STREET_ADDRESS`` is the street line; when the city/postcode line follows it (on the
  next line or after a comma) both are one entity whose text is the two lines joined
  with ``", "`` ("742 Evergreen Terrace, Springfield, IL 62704"). On a multi-line
  rendering the label is therefore the lines joined, not a verbatim substring.
* ``MRZ`` is the machine readable zone, its lines joined with ``"\\n"``.
* ``GPS_COORDINATES`` is ``f"{lat:.6f}, {lon:.6f}"``, as the EXIF reader prints it.
* ``DATE_TIME`` is only used for dates of birth; letter dates, receipt times and
  document issue/expiry dates are deliberately left unlabelled.
* On identity documents surname and given names are printed in separate fields, so
  each is its own ``PERSON`` label.
* Business details (a receipt's store address, company names) are not personal data
  and are not labelled; masked card numbers on receipts are not cards.
* ``language`` is the language of the document text (``"en"`` for text-free files).

The expected verdict follows one rule (:func:`expected_verdict`): a card number, SSN or
MRZ makes a ``sensitive_document``; otherwise personal data posted in a chat is
``third_party_data``; otherwise any entity means ``personal_data`` (an IBAN alone
included) and none means ``clean``.

Everything is drawn from ``random.Random`` and ``Faker.seed_instance`` keyed by the seed,
the kind and the file index, so a seed always yields the same labels. All people, numbers
and addresses are invented: e-mails use the reserved ``example.*`` domains, US phones
the fictional 555-01XX range, IPs the documentation ranges and documents the ICAO
specimen state ``UTO``.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Literal

from faker import Faker
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from piiscan.synth.render import (
    font,
    image_bytes,
    image_pdf,
    td1_mrz,
    td3_mrz,
    text_image,
    text_pdf,
    with_gps_exif,
)

VERSION = 1
_DESCRIPTION = "Generate the seeded, labelled synthetic PII corpus."
KINDS = (
    "scanned_letter",
    "chat_screenshot",
    "form",
    "id_document",
    "receipt",
    "negative",
    "pdf_text",
    "pdf_scan",
    "docx",
    "photo_gps",
    "intl_letter",
)
SENSITIVE_ENTITIES = frozenset({"CREDIT_CARD", "US_SSN", "MRZ"})
INTL_LANGUAGES = ("de", "fr", "es")

ExpectedVerdict = Literal["personal_data", "third_party_data", "sensitive_document", "clean"]
Color = tuple[int, int, int]
Face = ImageFont.FreeTypeFont | ImageFont.ImageFont

_LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "gb": "en_GB"}
_NBSP = "\u00a0"
_INK: Color = (20, 20, 20)
_GREY: Color = (90, 90, 90)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Entity:
    entity_type: str
    text: str
    page: int = 1

    def to_dict(self) -> dict[str, object]:
        return {"entity_type": self.entity_type, "text": self.text, "page": self.page}


@dataclass(slots=True)
class Sample:
    """One generated file: its bytes, its labels and the text rendered on each page."""

    name: str
    kind: str
    language: str
    clean_scan: bool
    data: bytes
    entities: list[Entity]
    pages: dict[int, list[str]] = field(default_factory=dict)

    @property
    def expected_verdict(self) -> ExpectedVerdict:
        return expected_verdict(self.kind, self.entities)

    def label(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "language": self.language,
            "expected_verdict": self.expected_verdict,
            "clean_scan": self.clean_scan,
            "entities": [e.to_dict() for e in self.entities],
        }


def expected_verdict(kind: str, entities: Sequence[Entity]) -> ExpectedVerdict:
    """Card, SSN or MRZ -> sensitive; chat with entities -> third party; any -> personal."""
    types = {e.entity_type for e in entities}
    if types & SENSITIVE_ENTITIES:
        return "sensitive_document"
    if types and kind == "chat_screenshot":
        return "third_party_data"
    return "personal_data" if types else "clean"


class _Labels:
    """Collects entities, one per distinct (type, text, page)."""

    def __init__(self) -> None:
        self.items: list[Entity] = []

    def add(self, entity_type: str, text: str, page: int = 1) -> None:
        entity = Entity(entity_type, text, page)
        if entity not in self.items:
            self.items.append(entity)


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str
    sex: str
    street: str
    city: str
    phone: str
    email: str
    dob: date

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.city}"


# --------------------------------------------------------------------------- values


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return bool(digits) and total % 10 == 0


def iban_ok(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    moved = compact[4:] + compact[:4]
    return len(compact) >= 15 and int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _group(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}


def _month(lang: str, d: date) -> str:
    return _MONTHS[lang].split()[d.month - 1]


def _long_date(lang: str, d: date) -> str:
    if lang == "de":
        return f"{d.day}. {_month(lang, d)} {d.year}"
    if lang == "fr":
        return f"{d.day} {_month(lang, d)} {d.year}"
    if lang == "es":
        return f"{d.day} de {_month(lang, d)} de {d.year}"
    return f"{_month(lang, d)} {d.day}, {d.year}"


def _dob_text(lang: str, d: date, rng: random.Random) -> str:
    if lang == "en":
        return rng.choice([f"{d:%m/%d/%Y}", _long_date("en", d), f"{d:%Y-%m-%d}"])
    if lang == "de":
        return f"{d:%d.%m.%Y}"
    return f"{d:%d/%m/%Y}"


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days))


_US_AREA_CODES = (212, 213, 305, 312, 404, 415, 503, 512, 602, 617, 702, 713, 720, 808, 919)
_DE_PREFIXES = ("030", "040", "089", "069", "0221", "0711", "0211", "0341", "0151", "0160", "0171", "0176")
_ES_PREFIXES = ("91", "93", "95", "96", "6", "6", "7")


def _phone(lang: str, rng: random.Random) -> str:
    """A phone number in the national format of ``lang`` (US numbers are 555-01XX)."""
    if lang == "de":
        prefix = rng.choice(_DE_PREFIXES)
        digits = 12 - len(prefix) if prefix.startswith("01") else 10 - len(prefix) + rng.randint(0, 1)
        return f"{prefix} {rng.randint(2, 9)}{''.join(str(rng.randint(0, 9)) for _ in range(digits - 1))}"
    if lang == "fr":
        first = rng.choice(("01", "02", "03", "04", "05", "06", "07"))
        second = rng.randint(73, 79) if first == "07" else rng.randint(10, 38)  # no overseas ranges
        return " ".join([first, str(second)] + [f"{rng.randint(0, 99):02d}" for _ in range(3)])
    if lang == "es":
        prefix = rng.choice(_ES_PREFIXES)
        rest = "".join(str(rng.randint(0, 9)) for _ in range(9 - len(prefix)))
        if prefix == "7":
            rest = str(rng.randint(1, 4)) + rest[1:]
        number = prefix + rest
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    area = rng.choice(_US_AREA_CODES)
    line = f"555-01{rng.randint(0, 99):02d}"
    return rng.choice([f"({area}) {line}", f"{area}-{line}", f"+1 {area} {line.replace('-', ' ')}"])


_EN_STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Willow", "Lake", "Hill", "Park", "Main", "Church", "Sunset",
    "Washington", "Lincoln", "Highland", "Ridge", "River", "Meadow", "Forest", "Spring",
)  # fmt: skip
_EN_STREET_TYPES = (
    "Street", "Street", "Avenue", "Avenue", "Road", "Drive", "Lane", "Court", "Place", "Boulevard",
    "Terrace", "Way", "St", "Ave", "Rd", "Dr",
)  # fmt: skip
_DE_STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße", "Goethestraße",
    "Am Markt", "Kirchgasse", "Bergstraße", "Rosenweg",
)  # fmt: skip


def _street(lang: str, fake: Faker, rng: random.Random) -> str:
    if lang == "de":
        name = fake.street_name() if rng.random() < 0.5 else rng.choice(_DE_STREETS)
        return f"{name} {rng.randint(1, 140)}{rng.choice(['', '', '', 'a', 'b'])}"
    if lang == "fr":
        return f"{rng.randint(1, 120)}{rng.choice(['', '', '', ' bis'])} {fake.street_name()}"
    if lang == "es":
        return f"{fake.street_name()}, {rng.randint(1, 150)}"
    name = fake.last_name() if rng.random() < 0.5 else rng.choice(_EN_STREET_NAMES)
    street = f"{rng.randint(1, 9899)} {name} {rng.choice(_EN_STREET_TYPES)}"
    if rng.random() < 0.2:
        street += f" Apt {rng.randint(1, 30)}{rng.choice('ABCD')}"
    return street


def _city(lang: str, fake: Faker) -> str:
    if lang == "en":
        return f"{fake.city()}, {fake.state_abbr(include_territories=False)} {fake.zipcode()}"
    return f"{fake.postcode()} {fake.city()}"


def _email(first: str, last: str, rng: random.Random) -> str:
    f, s = _ascii(first) or "user", _ascii(last) or "mail"
    local = rng.choice([f"{f}.{s}", f"{f}{s}", f"{f[0]}.{s}", f"{f}_{s}", f"{s}.{f}{rng.randint(1, 99)}"])
    return f"{local}@{rng.choice(('example.com', 'example.org', 'example.net'))}"


def _person(lang: str, fake: Faker, rng: random.Random) -> Person:
    sex = rng.choice("MF")
    first = fake.first_name_male() if sex == "M" else fake.first_name_female()
    last = fake.last_name()
    return Person(
        first=first,
        last=last,
        sex=sex,
        street=_street(lang, fake, rng),
        city=_city(lang, fake),
        phone=_phone(lang, rng),
        email=_email(first, last, rng),
        dob=_random_date(rng, date(1948, 1, 1), date(2004, 12, 31)),
    )


def _ssn(rng: random.Random) -> str:
    """A valid-looking SSN: area 001-665, group 01-99, serial 0001-9999, no famous numbers."""
    banned = {"078051120", "123456789", "219099999", "457555462"}
    while True:
        area, group, serial = rng.randint(1, 665), rng.randint(1, 99), rng.randint(1, 9999)
        digits = f"{area:03d}{group:02d}{serial:04d}"
        if digits not in banned and len(set(digits)) > 1:
            return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def _card(fake: Faker, rng: random.Random) -> str:
    """A Luhn-valid card number as printed: 4-4-4-4, or 4-6-5 for 15-digit Amex."""
    number: str = fake.credit_card_number(rng.choice(("visa16", "mastercard", "discover", "amex")))
    if not luhn_ok(number):  # pragma: no cover - Faker computes the check digit
        raise ValueError(f"Faker card number fails Luhn: {number}")
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return _group(number)


def _iban(fake: Faker) -> str:
    iban: str = fake.iban()
    if not iban_ok(iban):  # pragma: no cover - Faker computes the check digits
        raise ValueError(f"Faker IBAN fails mod 97: {iban}")
    return _group(iban)


def _ip(rng: random.Random) -> str:
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


# --------------------------------------------------------------------------- drawing


class _Canvas:
    """An image plus the record of every string drawn on it, in drawing order."""

    def __init__(self, width: int, height: int, background: Color = (255, 255, 255)) -> None:
        self.image = Image.new("RGB", (width, height), background)
        self.draw = ImageDraw.Draw(self.image)
        self.lines: list[str] = []

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int = 28,
        *,
        mono: bool = False,
        bold: bool = False,
        fill: Color = _INK,
        anchor: str = "la",
    ) -> float:
        face = font(size, mono, bold)
        self.draw.text(xy, text, font=face, fill=fill, anchor=anchor)
        self.lines.append(text)
        return self.draw.textlength(text, font=face)

    def crop_height(self, height: int) -> None:
        self.image = self.image.crop((0, 0, self.image.width, height))
        self.draw = ImageDraw.Draw(self.image)


def _wrap(text: str, face: Face, width: float, keep: Sequence[str] = ()) -> list[str]:
    """Greedy word wrap by pixel width that never breaks inside a ``keep`` string."""
    for atom in sorted(keep, key=len, reverse=True):
        if atom:
            text = text.replace(atom, atom.replace(" ", _NBSP))
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        trial = f"{current} {word}" if current else word
        if current and face.getlength(trial.replace(_NBSP, " ")) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return [line.replace(_NBSP, " ") for line in lines]


_GAUSS = NormalDist()


def _noise(image: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    """Add seeded grey Gaussian noise (uniform bytes mapped through the inverse normal CDF)."""
    lut = [max(0, min(255, round(128 + sigma * _GAUSS.inv_cdf((u + 0.5) / 256)))) for u in range(256)]
    layer = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height)).point(lut)
    if image.mode == "RGB":
        layer = Image.merge("RGB", (layer, layer, layer))
    return ImageChops.add(image, layer, scale=1.0, offset=-128)


def _degrade(image: Image.Image, rng: random.Random, max_angle: float = 1.5, sigma: float = 9.0) -> Image.Image:
    """A scanner look: slight blur, skew (canvas expanded with white) and noise."""
    angle = rng.uniform(-max_angle, max_angle)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    return _noise(image, rng, sigma)


def _photo_placeholder(canvas: _Canvas, box: tuple[int, int, int, int]) -> None:
    """A grey portrait box with a head-and-shoulders silhouette."""
    x0, y0, x1, y1 = box
    draw = canvas.draw
    draw.rectangle(box, fill=(205, 210, 215), outline=(120, 120, 120), width=3)
    cx, w, h = (x0 + x1) // 2, x1 - x0, y1 - y0
    draw.ellipse((cx - w // 5, y0 + h // 6, cx + w // 5, y0 + h // 6 + int(w * 0.5)), fill=(150, 156, 162))
    draw.chord((x0 + w // 10, y0 + int(h * 0.62), x1 - w // 10, y1 + h // 3), 180, 360, fill=(150, 156, 162))


# --------------------------------------------------------------------------- kinds


@dataclass(slots=True)
class _Ctx:
    seed: int
    fakers: dict[str, Faker] = field(default_factory=dict)

    def rng(self, kind: str, index: int, extra: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{index}:{extra}")

    def fake(self, lang: str, kind: str, index: int) -> Faker:
        locale = _LOCALES[lang]
        if locale not in self.fakers:
            self.fakers[locale] = Faker(locale)
        fake = self.fakers[locale]
        fake.seed_instance(f"{self.seed}:{kind}:{index}:{locale}")
        return fake


_LETTER_TEXT: dict[str, dict[str, list[str]]] = {
    "en": {
        "labels": ["Phone:", "Email:"],
        "subjects": ["Re: Change of billing address", "Re: Cancellation of my contract", "Re: Refund request"],
        "salutation": ["Dear Sir or Madam,", "To whom it may concern,"],
        "body": [
            "I am writing regarding my account with your company. Since last month I have moved and "
            "would like all future correspondence to be sent to the address above.",
            "Please note that the last invoice was charged twice and I kindly ask you to refund the "
            "duplicate payment at your earliest convenience.",
            "I would also like to cancel the premium service, which I no longer use, effective from the "
            "end of the current billing period.",
            "If anything is unclear, please call me on {phone} or write to {email} and I will reply "
            "as soon as possible.",
        ],
        "closing": ["Kind regards,", "Sincerely,", "Yours faithfully,"],
        "dept": ["Customer Service"],
        "iban": ["My bank details: IBAN {iban}"],
    },
    "de": {
        "labels": ["Tel.:", "E-Mail:"],
        "subjects": ["Betreff: Kündigung meines Vertrags", "Betreff: Änderung meiner Anschrift"],
        "salutation": ["Sehr geehrte Damen und Herren,"],
        "body": [
            "hiermit kündige ich meinen Vertrag fristgerecht zum nächstmöglichen Zeitpunkt und bitte "
            "um eine schriftliche Bestätigung.",
            "Bitte erstatten Sie das zu viel gezahlte Guthaben auf mein Konto mit der IBAN {iban}.",
            "Für Rückfragen erreichen Sie mich telefonisch unter {phone} oder per E-Mail an {email}.",
        ],
        "closing": ["Mit freundlichen Grüßen"],
        "dept": ["Kundenservice"],
        "iban": [],
    },
    "fr": {
        "labels": ["Tél. :", "E-mail :"],
        "subjects": ["Objet : Résiliation de mon abonnement", "Objet : Changement d'adresse"],
        "salutation": ["Madame, Monsieur,"],
        "body": [
            "Par la présente, je vous informe de ma décision de résilier mon abonnement à compter de la "
            "fin du mois en cours.",
            "Je vous remercie de bien vouloir me rembourser le trop-perçu sur mon compte, IBAN {iban}.",
            "Vous pouvez me joindre au {phone} ou par courriel à l'adresse {email}.",
        ],
        "closing": ["Je vous prie d'agréer, Madame, Monsieur, mes salutations distinguées."],
        "dept": ["Service client"],
        "iban": [],
    },
    "es": {
        "labels": ["Tel.:", "Correo:"],
        "subjects": ["Asunto: Baja del contrato de servicio", "Asunto: Cambio de domicilio"],
        "salutation": ["Estimados señores:"],
        "body": [
            "Por medio de la presente les comunico mi decisión de dar de baja el contrato de servicio "
            "a partir del próximo mes.",
            "Les ruego que realicen la devolución del importe pendiente en mi cuenta con IBAN {iban}.",
            "Para cualquier consulta pueden llamarme al {phone} o escribirme a {email}.",
        ],
        "closing": ["Atentamente,"],
        "dept": ["Atención al cliente"],
        "iban": [],
    },
}
_BUSINESSES = (
    "Northwind Utilities", "Contoso Insurance", "Fabrikam Telecom", "Tailspin Energy",
    "Adventure Works Ltd", "Wide World Services",
)  # fmt: skip


def _letter(lang: str, person: Person, rng: random.Random, iban: str | None) -> tuple[Image.Image, list[str]]:
    text = _LETTER_TEXT[lang]
    width, height, margin = 1240, 1754, 110
    canvas = _Canvas(width, height)
    y = 100.0
    canvas.text((margin, y), person.name, 34, bold=True)
    y += 56
    for line in (
        person.street,
        person.city,
        f"{text['labels'][0]} {person.phone}",
        f"{text['labels'][1]} {person.email}",
    ):
        canvas.text((margin, y), line, 30)
        y += 46
    y += 50
    canvas.text((margin, y), rng.choice(_BUSINESSES), 30, bold=True)
    canvas.text((margin, y + 46), text["dept"][0], 30)
    y += 150
    letter_date = _long_date(lang, _random_date(rng, date(2024, 1, 1), date(2025, 12, 31)))
    canvas.text((width - margin, y), letter_date, 30, anchor="ra")
    y += 90
    canvas.text((margin, y), rng.choice(text["subjects"]), 30, bold=True)
    y += 80
    canvas.text((margin, y), rng.choice(text["salutation"]), 30)
    y += 66
    values = {"phone": person.phone, "email": person.email, "iban": iban or ""}
    paragraphs = [p for p in text["body"] if iban or "{iban}" not in p]
    if iban and text["iban"]:
        paragraphs.append(text["iban"][0])
    face = font(30)
    for paragraph in paragraphs:
        for line in _wrap(paragraph.format(**values), face, width - 2 * margin, keep=list(values.values())):
            canvas.text((margin, y), line, 30)
            y += 45
        y += 24
    y += 20
    for line in _wrap(rng.choice(text["closing"]), face, width - 2 * margin):
        canvas.text((margin, y), line, 30)
        y += 45
    y += 70
    canvas.text((margin, y), person.name, 30)
    return canvas.image, canvas.lines


def _scanned_letter(ctx: _Ctx, i: int) -> Sample:
    kind = "scanned_letter"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    person = _person("en", fake, rng)
    image, lines = _letter("en", person, rng, None)
    image = _degrade(image, rng, sigma=rng.uniform(7, 11))
    data = image_bytes(image, "JPEG", quality=rng.randint(40, 60))
    labels = _Labels()
    labels.add("PERSON", person.name)
    labels.add("STREET_ADDRESS", person.address)
    labels.add("PHONE_NUMBER", person.phone)
    labels.add("EMAIL_ADDRESS", person.email)
    return Sample(f"{kind}/{kind}_{i:02d}.jpg", kind, "en", False, data, labels.items, {1: lines})


def _intl_letter(ctx: _Ctx, lang: str, i: int) -> Sample:
    kind = "intl_letter"
    rng, fake = ctx.rng(kind, i, lang), ctx.fake(lang, kind, i)
    person = _person(lang, fake, rng)
    iban = _iban(fake)
    image, lines = _letter(lang, person, rng, iban)
    labels = _Labels()
    labels.add("PERSON", person.name)
    labels.add("STREET_ADDRESS", person.address)
    labels.add("PHONE_NUMBER", person.phone)
    labels.add("EMAIL_ADDRESS", person.email)
    labels.add("IBAN_CODE", iban)
    data = image_bytes(image, "PNG")
    return Sample(f"{kind}/{kind}_{lang}_{i:02d}.png", kind, lang, True, data, labels.items, {1: lines})


_HANDLES = (
    "nightowl_77", "grillmaster", "bluebird", "maple_mom", "xXgamerXx", "coffee_first", "skaterdude",
    "quiet_reader", "sunny_side", "pixelpusher",
)  # fmt: skip
_CHAT_TITLES = ("# maple-street-neighbours", "Oakwood Parents Group", "r/localnews comments", "# general")


def _chat_screenshot(ctx: _Ctx, i: int) -> Sample:
    kind = "chat_screenshot"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    victim = _person("en", fake, rng)
    doxxer, other, third = rng.sample(_HANDLES, 3)
    labels = _Labels()
    labels.add("PERSON", victim.name)
    messages: list[tuple[str, str]] = [
        (other, rng.choice(["anyone know who keeps parking in front of the hydrant??", "who wrote that review lol"])),
        (third, rng.choice(["the grey pickup again?", "no idea, why", "probably the new neighbour"])),
    ]
    variant = i % 3
    if variant in (0, 2):
        messages.append((doxxer, f"yeah thats {victim.name}, lives at {victim.address}"))
        labels.add("STREET_ADDRESS", victim.address)
    else:
        messages.append((doxxer, f"its {victim.name}. found them on the school list"))
    if variant in (1, 2):
        messages.append((doxxer, f"number is {victim.phone}, go tell them yourself"))
        labels.add("PHONE_NUMBER", victim.phone)
    if rng.random() < 0.4:
        ip = _ip(rng)
        messages.append((doxxer, f"also their IP is {ip}, got it from the game server logs"))
        labels.add("IP_ADDRESS", ip)
    messages.append((other, rng.choice(["dude you can't just post that", "lmao", "ok going over there"])))
    me = rng.choice([other, third])
    avatars: dict[str, Color] = {h: (rng.randint(60, 200), rng.randint(60, 200), 160) for h in (doxxer, other, third)}

    dark = rng.random() < 0.5
    bg: Color = (17, 27, 33) if dark else (236, 229, 221)
    bubble_other: Color = (32, 44, 51) if dark else (255, 255, 255)
    bubble_me: Color = (0, 92, 75) if dark else (217, 253, 211)
    ink: Color = (233, 237, 239) if dark else (17, 27, 33)
    meta: Color = (134, 150, 160) if dark else (102, 119, 129)
    width = 1080
    canvas = _Canvas(width, 3200, bg)
    canvas.draw.rectangle((0, 0, width, 150), fill=(32, 44, 51) if dark else (0, 128, 105))
    canvas.text((40, 34), rng.choice(_CHAT_TITLES), 36, bold=True, fill=(255, 255, 255))
    canvas.text((40, 90), f"{rng.randint(12, 480)} members", 24, fill=(220, 230, 235))
    face = font(28)
    y = 190
    minute = rng.randint(0, 50)
    hour = rng.randint(8, 22)
    for handle, message in messages:
        mine = handle == me
        lines = _wrap(message, face, 700, keep=[victim.name, victim.address, victim.phone])
        line_h = 40
        box_w = max(face.getlength(line) for line in lines) + 48
        box_w = max(box_w, 260)
        box_h = 64 + line_h * len(lines) + 34
        x0 = width - 40 - box_w if mine else 130
        if not mine:
            canvas.draw.ellipse((40, y, 104, y + 64), fill=avatars[handle])
            canvas.text((72, y + 32), handle[0].upper(), 30, bold=True, fill=(255, 255, 255), anchor="mm")
        canvas.draw.rounded_rectangle((x0, y, x0 + box_w, y + box_h), 18, fill=bubble_me if mine else bubble_other)
        canvas.text((x0 + 24, y + 14), handle, 24, bold=True, fill=(230, 126, 34) if not mine else meta)
        ty = y + 56
        for line in lines:
            canvas.text((x0 + 24, ty), line, 28, fill=ink)
            ty += line_h
        minute += rng.randint(0, 3)
        canvas.text((x0 + box_w - 20, y + box_h - 10), f"{hour}:{minute % 60:02d}", 22, fill=meta, anchor="rd")
        y += box_h + 26
    canvas.crop_height(max(y + 40, 900))
    data = image_bytes(canvas.image, "PNG")
    return Sample(f"{kind}/{kind}_{i:02d}.png", kind, "en", True, data, labels.items, {1: canvas.lines})


def _field(canvas: _Canvas, x: int, y: int, w: int, label: str, values: Sequence[str]) -> int:
    """A labelled form box; returns the y below it."""
    canvas.text((x, y), label, 22, fill=_GREY)
    h = 20 + 42 * len(values)
    canvas.draw.rectangle((x, y + 30, x + w, y + 30 + h), outline=(70, 70, 70), width=2)
    for n, value in enumerate(values):
        canvas.text((x + 14, y + 40 + 42 * n), value, 28)
    return y + 30 + h + 26


def _form(ctx: _Ctx, i: int) -> Sample:
    kind = "form"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    person = _person("en", fake, rng)
    ssn, card, dob = _ssn(rng), _card(fake, rng), _dob_text("en", person.dob, rng)
    iban = _iban(ctx.fake(rng.choice(("de", "gb")), kind, i))
    width, margin = 1240, 90
    canvas = _Canvas(width, 1754)
    half = (width - 2 * margin - 40) // 2
    col2 = margin + half + 40
    full = width - 2 * margin
    if i % 4 < 2:
        canvas.text((width / 2, 80), rng.choice(["Harbor Credit Union", "Northwind Bank"]), 30, anchor="ma")
        canvas.text((width / 2, 130), "NEW ACCOUNT APPLICATION", 42, bold=True, anchor="ma")
        y = 230
        canvas.draw.rectangle((margin, y, width - margin, y + 46), fill=(225, 230, 238))
        canvas.text((margin + 12, y + 8), "1. Personal information", 26, bold=True)
        y += 76
        _field(canvas, margin, y, half, "Full name", [person.name])
        y = _field(canvas, col2, y, half, "Date of birth", [dob])
        _field(canvas, margin, y, half, "Social Security Number", [ssn])
        y = _field(canvas, col2, y, half, "Phone", [person.phone])
        y = _field(canvas, margin, y, full, "Home address", [person.street, person.city])
        y = _field(canvas, margin, y, full, "Email", [person.email])
        canvas.draw.rectangle((margin, y, width - margin, y + 46), fill=(225, 230, 238))
        canvas.text((margin + 12, y + 8), "2. Payment details", 26, bold=True)
        y += 76
        y = _field(canvas, margin, y, full, "IBAN for incoming transfers", [iban])
        _field(canvas, margin, y, half, "Debit / credit card number", [card])
        y = _field(canvas, col2, y, half, "Valid thru", [f"{rng.randint(1, 12):02d}/{rng.randint(27, 31)}"])
        for line in ("[x] I confirm the information above is correct.", "[x] I agree to the account terms."):
            canvas.text((margin, y), line, 26)
            y += 44
        y += 60
        canvas.draw.line((margin, y, margin + 420, y), fill=_INK, width=2)
        canvas.text((margin, y + 10), "Signature", 22, fill=_GREY)
    else:
        clinic = rng.choice(["Riverside Dental Clinic", "Lakeview Physiotherapy", "Sunrise Family Practice"])
        canvas.text((margin, 80), clinic, 34, bold=True)
        canvas.text((width - margin, 80), "PATIENT INVOICE", 42, bold=True, anchor="ra")
        canvas.text(
            (width - margin, 140),
            f"Invoice no. INV-{rng.randint(2024, 2025)}-{rng.randint(100, 9999):04d}",
            26,
            anchor="ra",
        )
        y = 230
        canvas.text((margin, y), "Bill to", 24, bold=True, fill=_GREY)
        y += 40
        for line in (person.name, person.street, person.city, person.email):
            canvas.text((margin, y), line, 28)
            y += 42
        y += 20
        canvas.text((margin, y), f"Patient date of birth: {dob}", 28)
        canvas.text((margin, y + 42), f"SSN: {ssn}", 28)
        y += 120
        canvas.draw.rectangle((margin, y, width - margin, y + 50), fill=(225, 230, 238))
        canvas.text((margin + 12, y + 10), "Description", 26, bold=True)
        canvas.text((width - margin - 12, y + 10), "Amount", 26, bold=True, anchor="ra")
        y += 70
        total = 0
        services = ["Initial consultation", "X-ray (2 views)", "Cleaning and polishing", "Follow-up visit"]
        for item in rng.sample(services, 3):
            cents = rng.randint(4000, 30000)
            total += cents
            canvas.text((margin + 12, y), item, 28)
            canvas.text((width - margin - 12, y), f"${cents // 100}.{cents % 100:02d}", 28, anchor="ra")
            y += 48
        canvas.draw.line((margin, y, width - margin, y), fill=_INK, width=2)
        y += 16
        canvas.text((width - margin - 12, y), f"Total: ${total // 100}.{total % 100:02d}", 30, bold=True, anchor="ra")
        y += 90
        canvas.text((margin, y), "Payment", 24, bold=True, fill=_GREY)
        canvas.text((margin, y + 40), f"Card charged: {card}", 28)
        canvas.text((margin, y + 82), f"Refunds to IBAN: {iban}", 28)
        canvas.text((margin, y + 124), "Questions? Call our billing office during business hours.", 26)
    canvas.crop_height(1500)
    labels = _Labels()
    for entity_type, text in (
        ("PERSON", person.name),
        ("DATE_TIME", dob),
        ("US_SSN", ssn),
        ("PHONE_NUMBER", person.phone if i % 4 < 2 else ""),
        ("STREET_ADDRESS", person.address),
        ("EMAIL_ADDRESS", person.email),
        ("IBAN_CODE", iban),
        ("CREDIT_CARD", card),
    ):
        if text:
            labels.add(entity_type, text)
    crisp = i % 2 == 0
    image = canvas.image if crisp else _degrade(canvas.image, rng, max_angle=0.8, sigma=6).convert("L")
    data = image_bytes(image, "PNG")
    return Sample(f"{kind}/{kind}_{i:02d}.png", kind, "en", crisp, data, labels.items, {1: canvas.lines})


_UTO_PLACES = ("UTOPIA CITY", "NORTHPORT", "LAKESIDE", "GREENVALE", "EASTHAVEN")


def _id_document(ctx: _Ctx, i: int) -> Sample:
    kind = "id_document"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    person = _person("en", fake, rng)
    surname, given = person.last.upper(), person.first.upper()
    if rng.random() < 0.3:
        given = f"{given} {fake.first_name_male() if person.sex == 'M' else fake.first_name_female()}".upper()
    number = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(9))
    issue = _random_date(rng, date(2018, 1, 1), date(2025, 6, 30))
    expiry = issue.replace(year=issue.year + 10) if (issue.month, issue.day) != (2, 29) else issue + timedelta(3652)
    birth = f"{person.dob:%y%m%d}"
    dob = f"{person.dob.day:02d} {_month('en', person.dob)[:3].upper()} {person.dob.year}"
    passport = (i + ctx.seed) % 2 == 0
    tint: Color = (222, 233, 242) if passport else (236, 228, 214)
    labels = _Labels()
    labels.add("PERSON", surname)
    labels.add("PERSON", given)
    labels.add("DATE_TIME", dob)

    def fields(canvas: _Canvas, x: int, y: int, rows: Sequence[tuple[str, str]]) -> None:
        for caption, value in rows:
            canvas.text((x, y), caption, 22, fill=_GREY)
            canvas.text((x, y + 28), value, 30, bold=True)
            y += 82

    if passport:
        mrz: tuple[str, ...] = td3_mrz(surname, given, number, "UTO", birth, person.sex, f"{expiry:%y%m%d}")
        canvas = _Canvas(1400, 1000, tint)
        for k in range(0, 1000, 24):
            canvas.draw.arc((-400, k - 600, 1800, k + 600), 200, 340, fill=(208, 222, 235), width=2)
        canvas.text((60, 40), "PASSPORT  /  PASSEPORT", 40, bold=True, fill=(30, 50, 100))
        canvas.text((1340, 48), "REPUBLIC OF UTOPIA", 30, bold=True, fill=(30, 50, 100), anchor="ra")
        _photo_placeholder(canvas, (60, 140, 420, 600))
        fields(canvas, 480, 130, [("Type / Type", "P"), ("Surname / Nom", surname), ("Given names / Prénoms", given)])
        fields(canvas, 480, 376, [("Date of birth / Date de naissance", dob), ("Sex / Sexe", person.sex)])
        fields(canvas, 960, 130, [("Code", "UTO"), ("Passport No. / No. du passeport", number)])
        fields(canvas, 960, 376, [("Nationality", "UTOPIAN"), ("Place of birth", rng.choice(_UTO_PLACES))])
        fields(canvas, 480, 540, [("Date of issue", f"{issue:%d %b %Y}".upper())])
        fields(canvas, 960, 540, [("Date of expiry", f"{expiry:%d %b %Y}".upper())])
        canvas.draw.rectangle((0, 800, 1400, 1000), fill=(250, 250, 250))
        for n, line in enumerate(mrz):
            canvas.text((60, 830 + 70 * n), line, 34, mono=True)
        image = canvas.image
    else:
        mrz = td1_mrz(surname, given, number, "UTO", birth, person.sex, f"{expiry:%y%m%d}")
        canvas = _Canvas(1300, 1760, (245, 245, 245))
        for top in (40, 920):
            canvas.draw.rounded_rectangle((40, top, 1260, top + 800), 40, fill=tint, outline=(150, 150, 150), width=3)
        canvas.text((90, 80), "REPUBLIC OF UTOPIA", 36, bold=True, fill=(110, 60, 30))
        canvas.text((90, 130), "IDENTITY CARD / CARTE D'IDENTITÉ", 28, fill=(110, 60, 30))
        _photo_placeholder(canvas, (90, 210, 430, 650))
        fields(canvas, 490, 200, [("Surname", surname), ("Given names", given), ("Date of birth", dob)])
        fields(canvas, 490, 446, [("Sex", person.sex), ("Document no.", number)])
        fields(canvas, 880, 446, [("Nationality", "UTO"), ("Expiry", f"{expiry:%d.%m.%Y}")])
        canvas.text((90, 970), f"Place of birth: {rng.choice(_UTO_PLACES)}", 28)
        canvas.text((90, 1020), f"Date of issue: {issue:%d.%m.%Y}", 28)
        canvas.text((90, 1070), f"Authority: {rng.choice(_UTO_PLACES)} CIVIL REGISTRY", 28)
        canvas.text((90, 1120), f"Height: {rng.randint(155, 195)} cm", 28)
        canvas.draw.rectangle((43, 1440, 1257, 1680), fill=(252, 252, 252))
        for n, line in enumerate(mrz):
            canvas.text((110, 1460 + 74 * n), line, 40, mono=True)
        image = canvas.image
    labels.add("MRZ", "\n".join(mrz))
    name = f"{kind}/{'passport' if passport else 'id_card'}_{i:02d}.png"
    return Sample(name, kind, "en", True, image_bytes(image, "PNG"), labels.items, {1: canvas.lines})


_STORES = ("QUICKMART #214", "CORNER GROCERY", "GREENLEAF MARKET", "CITY HARDWARE", "BEAN & LEAF CAFE")
_GOODS = (
    "MILK 2% 1GAL", "BREAD WHOLE WHEAT", "BANANAS 2.1LB", "COFFEE BEANS", "EGGS LARGE 12", "PAPER TOWELS",
    "AA BATTERIES 4PK", "OLIVE OIL 500ML", "APPLES GALA", "CHEDDAR 8OZ", "PASTA 1LB", "DISH SOAP",
)  # fmt: skip


def _receipt(ctx: _Ctx, i: int) -> Sample:
    kind = "receipt"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    cols = 36
    store = rng.choice(_STORES)
    when = _random_date(rng, date(2024, 1, 1), date(2025, 12, 31))
    clock = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    lines = [
        store.center(cols).rstrip(),
        _street("en", fake, rng).upper().center(cols).rstrip(),
        _city("en", fake).upper().center(cols).rstrip(),
        "",
        f"{when:%m/%d/%Y}  {clock}   REG {rng.randint(1, 9)}  TRN {rng.randint(1000, 9999)}",
        "-" * cols,
    ]
    subtotal = 0
    for item in rng.sample(_GOODS, rng.randint(3, 7)):
        cents = rng.randint(99, 1599)
        subtotal += cents
        lines.append(f"{item:<26}{cents / 100:>10.2f}")
    tax = round(subtotal * 0.0825)
    lines += [
        "-" * cols,
        f"{'SUBTOTAL':<26}{subtotal / 100:>10.2f}",
        f"{'TAX 8.25%':<26}{tax / 100:>10.2f}",
        f"{'TOTAL':<26}{(subtotal + tax) / 100:>10.2f}",
        "",
    ]
    last4 = f"{rng.randint(0, 9999):04d}"
    brand = rng.choice(("VISA", "MASTERCARD", "DISCOVER"))
    masked = rng.choice((f"**** **** **** {last4}", f"XXXXXXXXXXXX{last4}", f"xxxx xxxx xxxx {last4}"))
    lines += [
        f"{brand} {masked}",
        f"AUTH CODE {rng.randint(100000, 999999)}   ENTRY CHIP",
        "APPROVED",
        "",
        "THANK YOU FOR SHOPPING WITH US!".center(cols).rstrip(),
        "RETURNS WITHIN 30 DAYS WITH RECEIPT".center(cols).rstrip(),
    ]
    image = text_image(lines, width=760, font_size=26, mono=True, margin=40, line_gap=1.4)
    data = image_bytes(image, "PNG")
    return Sample(f"{kind}/{kind}_{i:02d}.png", kind, "en", True, data, [], {1: lines})


_LOREM = (
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
    "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim",
    "veniam", "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi", "aliquip", "ex", "ea",
    "commodo", "consequat", "duis", "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse",
    "cillum", "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non", "proident",
    "sunt", "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id", "est", "laborum",
)  # fmt: skip
_CODE = [
    "import json",
    "from pathlib import Path",
    "",
    "",
    "def load_config(path: Path) -> dict[str, object]:",
    '    """Read the settings file, falling back to defaults."""',
    "    if not path.exists():",
    '        return {"retries": 3, "timeout": 30.0}',
    "    with path.open() as handle:",
    "        data = json.load(handle)",
    '    data.setdefault("retries", 3)',
    "    return data",
    "",
    "",
    "class RateLimiter:",
    "    def __init__(self, per_second: float = 5.0) -> None:",
    "        self.interval = 1.0 / per_second",
    "        self.last = 0.0",
    "",
    "    def wait(self, now: float) -> float:",
    "        delay = max(0.0, self.last + self.interval - now)",
    "        self.last = now + delay",
    "        return delay",
]


def _luhn_failing(rng: random.Random) -> str:
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(16))
        if not luhn_ok(digits):
            return digits


def _negative(ctx: _Ctx, i: int) -> Sample:
    kind = "negative"
    rng = ctx.rng(kind, i)
    variant = i % 4
    lines: list[str] = []
    if variant == 0:
        shade = rng.randint(246, 255)
        image = Image.new("RGB", (1240, 1754), (shade, shade, shade))
        name = "blank"
    elif variant == 1:
        words = [rng.choice(_LOREM) for _ in range(160)]
        text = " ".join(words).capitalize() + "."
        lines = _wrap(text, font(30), 1240 - 200)
        major, minor, patch = rng.randint(1, 9), rng.randint(0, 30), rng.randint(0, 12)
        lines += ["", f"Release v{major}.{minor}.{patch} (build {rng.randint(1000, 9999)})"]
        lines += [f"Changes since v{major}.{max(minor - 1, 0)}.{rng.randint(0, 9)}: faster startup, fixed typos."]
        image = text_image(lines, font_size=30, margin=100)
        name = "lorem"
    elif variant == 2:
        lines = _CODE
        image = text_image(lines, width=1240, font_size=26, mono=True, background=(30, 30, 30), color=(212, 212, 212))
        name = "code"
    else:
        lines = ["ORDER SUMMARY", ""]
        for _ in range(4):
            order = f"{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}-{rng.randint(1000000, 9999999)}"
            lines.append(f"Order #{order}   ${rng.randint(5, 2500)}.{rng.randint(0, 99):02d}")
        lines.append("")
        ref = _luhn_failing(rng)
        lines.append(f"Reference: {_group(ref)}")
        lines.append(f"Tracking number: {_luhn_failing(rng)}")
        version = f"v{rng.randint(1, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        lines.append(f"Firmware {version}, model SKU-{rng.randint(10000, 99999)}")
        lines.append(f"Subtotal $1,{rng.randint(100, 999)}.00  Shipping $0.00  Qty 3")
        image = text_image(lines, font_size=30, margin=100)
        name = "numbers"
    data = image_bytes(image, "PNG")
    return Sample(f"{kind}/{kind}_{name}_{i:02d}.png", kind, "en", True, data, [], {1: lines})


def _profile_lines(person: Person, dob: str, extra: Sequence[str] = ()) -> list[str]:
    return [
        f"Name: {person.name}",
        f"Date of birth: {dob}",
        "Mailing address:",
        person.street,
        person.city,
        f"Phone: {person.phone}",
        f"Email: {person.email}",
        *extra,
    ]


def _pdf_text(ctx: _Ctx, i: int) -> Sample:
    kind = "pdf_text"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    person = _person("en", fake, rng)
    dob = _dob_text("en", person.dob, rng)
    ip = _ip(rng)
    ssn = _ssn(rng) if i % 2 else None
    page_with_data = rng.choice((2, 3))
    company = rng.choice(_BUSINESSES)
    cover = [company, "", "Annual account statement", "", "This statement summarises your usage and charges."]
    cover += [" ".join(rng.choice(_LOREM) for _ in range(12)) for _ in range(8)]
    usage = ["Monthly usage", ""]
    for month in _MONTHS["en"].split():
        usage.append(f"{month:<12} {rng.randint(150, 900):>5} kWh    ${rng.randint(20, 160)}.{rng.randint(0, 99):02d}")
    details = ["Customer details", "", *_profile_lines(person, dob, [f"SSN: {ssn}"] if ssn else [])]
    details += ["", f"Last online login from IP {ip} on the customer portal."]
    pages = [cover, details, usage] if page_with_data == 2 else [cover, usage, details]
    labels = _Labels()
    for entity_type, text in (
        ("PERSON", person.name),
        ("DATE_TIME", dob),
        ("STREET_ADDRESS", person.address),
        ("PHONE_NUMBER", person.phone),
        ("EMAIL_ADDRESS", person.email),
        ("IP_ADDRESS", ip),
        ("US_SSN", ssn or ""),
    ):
        if text:
            labels.add(entity_type, text, page_with_data)
    data = text_pdf(pages, metadata={"Title": "Account statement", "Producer": "piiscan synth"})
    rendered = {n: list(p) for n, p in enumerate(pages, start=1)}
    return Sample(f"{kind}/{kind}_{i:02d}.pdf", kind, "en", True, data, labels.items, rendered)


def _pdf_scan(ctx: _Ctx, i: int) -> Sample:
    kind = "pdf_scan"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    person = _person("en", fake, rng)
    dob = _dob_text("en", person.dob, rng)
    ssn = _ssn(rng) if i % 2 == 0 else None
    cover = [
        "FAX COVER SHEET",
        "",
        f"From: {rng.choice(_BUSINESSES)}",
        "To: Records Department",
        "Pages: 2 (including cover)",
        "",
        "Please find the completed intake form attached.",
        "Contact the front desk with any questions.",
    ]
    form = ["PATIENT INTAKE FORM", "", *_profile_lines(person, dob, [f"SSN: {ssn}"] if ssn else [])]
    form += ["", "Reason for visit: annual check-up", "Allergies: none known"]
    images = [text_image(page, font_size=32, margin=110, height=1754) for page in (cover, form)]
    crisp = i % 2 == 1
    if not crisp:
        images = [_degrade(im, rng, max_angle=1.0, sigma=6) for im in images]
    labels = _Labels()
    for entity_type, text in (
        ("PERSON", person.name),
        ("DATE_TIME", dob),
        ("STREET_ADDRESS", person.address),
        ("PHONE_NUMBER", person.phone),
        ("EMAIL_ADDRESS", person.email),
        ("US_SSN", ssn or ""),
    ):
        if text:
            labels.add(entity_type, text, 2)
    data = image_pdf(images, resolution=150.0)
    return Sample(f"{kind}/{kind}_{i:02d}.pdf", kind, "en", crisp, data, labels.items, {1: cover, 2: form})


def _docx(ctx: _Ctx, i: int) -> Sample:
    from docx import Document

    kind = "docx"
    rng, fake = ctx.rng(kind, i), ctx.fake("en", kind, i)
    person = _person("en", fake, rng)
    dob = _dob_text("en", person.dob, rng)
    iban = _iban(ctx.fake(rng.choice(("de", "gb")), kind, i))
    header_text = f"Confidential - tenant reference for {person.name}"
    heading = "Tenant reference"
    body = (
        f"We confirm that {person.name} has rented the apartment at {person.address} since "
        f"{rng.randint(2015, 2023)} and always paid on time. You can reach them on {person.phone}."
    )
    rows = [("Field", "Value"), ("Date of birth", dob), ("Email", person.email), ("Deposit refund IBAN", iban)]
    doc = Document()
    doc.core_properties.author = "Lettings office"
    doc.core_properties.title = heading
    doc.sections[0].header.paragraphs[0].text = header_text
    doc.add_heading(heading, level=1)
    doc.add_paragraph(body)
    table = doc.add_table(rows=len(rows), cols=2)
    for r, (left, right) in enumerate(rows):
        table.cell(r, 0).text = left
        table.cell(r, 1).text = right
    doc.add_paragraph("Please keep this reference confidential.")
    buf = io.BytesIO()
    doc.save(buf)
    labels = _Labels()
    labels.add("PERSON", person.name)
    labels.add("STREET_ADDRESS", person.address)
    labels.add("PHONE_NUMBER", person.phone)
    labels.add("DATE_TIME", dob)
    labels.add("EMAIL_ADDRESS", person.email)
    labels.add("IBAN_CODE", iban)
    rendered = [header_text, heading, body, *(cell for row in rows for cell in row)]
    return Sample(f"{kind}/{kind}_{i:02d}.docx", kind, "en", True, buf.getvalue(), labels.items, {1: rendered})


_PLACES = (
    (40.7580, -73.9855), (48.8584, 2.2945), (51.5007, -0.1246), (-33.8568, 151.2153), (35.6586, 139.7454),
    (-22.9519, -43.2105), (52.5163, 13.3777), (41.4036, 2.1744), (-34.6037, -58.3816), (37.8199, -122.4783),
)  # fmt: skip


def _gps_text(data: bytes) -> str:
    """The coordinates as the EXIF reader prints them, read back from the JPEG."""
    exif = Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)

    def value(parts: tuple[float, float, float], ref: str, negative: str) -> float:
        degrees, minutes, seconds = (float(p) for p in parts)
        result = degrees + minutes / 60 + seconds / 3600
        return -result if ref == negative else result

    return f"{value(exif[2], exif[1], 'S'):.6f}, {value(exif[4], exif[3], 'W'):.6f}"


def _photo_gps(ctx: _Ctx, i: int) -> Sample:
    kind = "photo_gps"
    rng = ctx.rng(kind, i)
    base_lat, base_lon = rng.choice(_PLACES)
    lat = round(base_lat + rng.uniform(-0.02, 0.02), 5)
    lon = round(base_lon + rng.uniform(-0.02, 0.02), 5)
    w, h = 1024, 768
    top = (rng.randint(90, 160), rng.randint(140, 200), rng.randint(200, 250))
    bottom = (rng.randint(40, 120), rng.randint(80, 140), rng.randint(30, 90))
    gradient = Image.linear_gradient("L").resize((w, h))
    image = Image.composite(Image.new("RGB", (w, h), bottom), Image.new("RGB", (w, h), top), gradient)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 9)):
        x, y, r = rng.randint(0, w), rng.randint(h // 3, h), rng.randint(30, 160)
        shade = (rng.randint(20, 120), rng.randint(60, 140), rng.randint(20, 90))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=shade)
    image = _noise(image.filter(ImageFilter.GaussianBlur(4)), rng, 5)
    data = with_gps_exif(image, lat, lon)
    text = _gps_text(data)
    if text != f"{lat:.6f}, {lon:.6f}":  # pragma: no cover - guards the 5-decimal choice
        raise ValueError(f"EXIF round trip changed the coordinates: {text}")
    entities = [Entity("GPS_COORDINATES", text, 1)]
    return Sample(f"{kind}/{kind}_{i:02d}.jpg", kind, "en", True, data, entities, {1: [text]})


# --------------------------------------------------------------------------- corpus


def _check(sample: Sample) -> None:
    """Every label must be what was rendered on its page (addresses: lines joined by ', ')."""
    for entity in sample.entities:
        if not entity.text:
            raise ValueError(f"{sample.name}: empty {entity.entity_type} label")
        lines = sample.pages.get(entity.page, [])
        joined = ", ".join(line.strip() for line in lines)
        if entity.text in "\n".join(lines) or (entity.entity_type == "STREET_ADDRESS" and entity.text in joined):
            continue
        raise ValueError(f"{sample.name}: {entity.entity_type} {entity.text!r} is not on page {entity.page}")


def build_samples(n_per_kind: int = 4, seed: int = 7) -> list[Sample]:
    """Render every kind ``n_per_kind`` times (other-language letters: per language)."""
    ctx = _Ctx(seed)
    builders: list[Callable[[_Ctx, int], Sample]] = [
        _scanned_letter,
        _chat_screenshot,
        _form,
        _id_document,
        _receipt,
        _negative,
        _pdf_text,
        _pdf_scan,
        _docx,
        _photo_gps,
    ]
    samples = [build(ctx, i) for build in builders for i in range(n_per_kind)]
    samples += [_intl_letter(ctx, lang, i) for lang in INTL_LANGUAGES for i in range(n_per_kind)]
    for sample in samples:
        _check(sample)
    return samples


def write_samples(samples: Sequence[Sample], out_dir: Path, seed: int) -> Path:
    """Write the files and ``labels.json`` under ``out_dir``; returns the labels path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, object] = {}
    for sample in samples:
        if sample.name in files:
            raise ValueError(f"duplicate file name {sample.name}")
        target = out_dir / sample.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sample.data)
        files[sample.name] = sample.label()
    labels = out_dir / "labels.json"
    payload = {"version": VERSION, "seed": seed, "files": files}
    labels.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return labels


def generate(out_dir: Path, n_per_kind: int = 4, seed: int = 7) -> Path:
    """Generate the labelled corpus into ``out_dir`` and return the path of ``labels.json``."""
    return write_samples(build_samples(n_per_kind, seed), Path(out_dir), seed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m piiscan.synth.corpus", description=_DESCRIPTION)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n", type=int, default=4, help="files per kind (default 4)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    started = time.perf_counter()
    labels = generate(args.out_dir, args.n, args.seed)
    count = len(json.loads(labels.read_text(encoding="utf-8"))["files"])
    print(f"wrote {count} files and {labels} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
