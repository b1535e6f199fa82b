"""Known false positives, removed after the recognizers ran on one segment.

spaCy's small English NER calls many capitalised words persons: "Madam", "Email",
German nouns ("Betreff", "Anschrift"), OCR fragments. A person's name here must look
like one: every word capitalised (or a name particle), none of them a common label
or salutation word, and a single word only after an honorific or a field label.

Contact data of organisations is not personal: a role mailbox (info@, help@), a switchboard
under a hotel's or an agency's heading, a reference number whose digits fit a phone number.
"""

from __future__ import annotations

import re
from dataclasses import replace

from piiscan.scanner.model import Finding

_NOT_A_NAME = re.compile(r"[\d@<>/\\|_#=+{}\[\]]")
_PARTICLES = frozenset(
    {"de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du", "bin", "al", "y"}
)
# Words spaCy tags as PERSON that are labels, salutations or document words in en/de/fr/es.
_NON_NAME_WORDS = frozenset(
    " ".join(
        (
            "email e-mail mail tel tel. phone fax mobile madam sir dear regards bill invoice total expiry expires",
            "passport passeport pasaporte reisepass identity card id date birth sex nationality signature",
            "surname name names given address street subject re ref page lorem ipsum hello hi thanks",
            "betreff anschrift herren damen sehr geehrte geehrter konto rückfragen ruckfragen für fur mit",
            "freundlichen grüßen grussen grüssen gruen straße strasse guthaben änderung anderung zum zur",
            "objet madame monsieur cordialement salutations adresse téléphone telephone rue",
            "asunto estimado estimada señor senor señora senora atentamente saludos dirección direccion calle",
            "cambio auth code",
            # form and payslip vocabulary, and words that make a phrase an organisation
            "last first middle initial zip postal state city county country suffix prefix title",
            "pay grade hourly salary wage gross net earnings deductions hrs hours vac vacation overtime",
            "relationship spouse employer employee applicant lender borrower landlord tenant recorded",
            "male female valid til until max min coinsurance copay member group plan amet sit dolor",
            "inn hotel corp corporation inc llc ltd gmbh company bank insurance road avenue lane ring",
            "social security benefits tax wages federal project manager",
            # a document's own parts ("Part II", "Section 3")
            "part section chapter schedule appendix annex",
            # a driving licence's field captions (class of vehicle, date of issue, vehicle classes)
            "cov doi dob dln lmv mcwg hmv rto",
        )
    ).split()
)
_NEAR = 40
"""Characters looked at before a span for the words that say what it is ("Government of")."""
_ABBREVIATION = re.compile(r"[A-Z]{2,3}\.?")
_COUNTRY_ONLY = frozenset({"us", "usa", "u.s", "u.s.a", "united states", "the united states", "america"})
"""The country a form is printed for: named alone it locates nobody (compared with the dots
of each word stripped, so "U.S." is "u.s")."""
_ISSUER = re.compile(
    r"(?i)\b(?:gov(?:ernmen)?t|republic|kingdom|ministry|department|embassy|consulate)\.?\s+of\s+(?:the\s+)?$"
)
"""The place in "Government of X", "Republic of X": the issuer of a document, nobody's place."""
_PLACE_OF = re.compile(r"(?i)\b(?:county|city|town|township|village|borough|parish|district)\s+of\s+$")
_HONORIFIC_OR_LABEL = re.compile(
    r"(?:\b(?:mr|mrs|ms|miss|dr|prof|sir|herr|frau|hr|fr|m|mme|mlle|sr|sra|srta|don|doña)\.?"
    r"|\b(?:name|surname|given names?|first name|last name|nachname|vorname|nom|prénom|nombre|apellidos?)"
    r"\s*[:/]?|\b(?:name is|call me|i am|i'm|ich bin|je suis|me llamo|soy))\s*$",
    re.IGNORECASE,
)
_MASK_RUN = re.compile(r"(?i)\b(?:x{3,}|\*{3,})")
_DATE_LIKE = re.compile(
    r"^\s*\d{1,2} ?[./-] ?\d{1,2} ?[./-] ?(?:\d{2}|\d{4})\s*$|^\s*\d{4} ?[./-] ?\d{1,2} ?[./-] ?\d{1,2}\s*$"
)
_MONEY = re.compile(r"(?<![\d.])\d{1,4}\.\d{2}(?![\d.])")
"""An amount with cents ("2111.20"): payslip columns read as a phone number."""
_TOLL_FREE = re.compile(r"^(?:\+?1)?(?:800|833|844|855|866|877|888)\d{7}$|^1800\d{6,7}$")


def toll_free(value: str) -> bool:
    """A toll-free number (North American 1-8xx, Indian 1800): an organisation's hotline,
    reached by anyone, not a person's own phone."""
    return bool(_TOLL_FREE.match("".join(ch for ch in value if ch.isdigit() or ch == "+")))


_MORE_SPECIFIC_THAN_PHONE = frozenset(
    {"US_SSN", "CREDIT_CARD", "IBAN_CODE", "US_ITIN", "UK_NHS", "DE_TAX_ID", "IN_AADHAAR", "HK_ID_CARD", "ID_NUMBER"}
    # a dotted quad and a coordinate's decimals also fit a phone number's digits
    | {"IP_ADDRESS", "GPS_COORDINATES"}
)

_NAMED_IDENTIFIERS = frozenset(
    {"US_SSN", "US_ITIN", "US_PASSPORT", "US_DRIVER_LICENSE", "IN_AADHAAR", "IN_PAN", "HK_ID_CARD", "UK_NHS"}
    | {"IT_FISCAL_CODE", "IT_IDENTITY_CARD", "IT_PASSPORT", "IT_DRIVER_LICENSE", "ES_NIF", "ES_NIE"}
    | {"DE_TAX_ID", "CREDIT_CARD", "IBAN_CODE"}
)
"""Identifier types that say what a number is: where one covers an ID_NUMBER's span, the generic
reading is the same value reported twice."""
_IDENTIFIERS = _NAMED_IDENTIFIERS | {"ID_NUMBER"}

_REPRINT_MIN_CHARS = 8
_REPRINT_MIN_DIGITS = 4
_REPRINT_MIN_ALL_DIGITS = 8
"""An identifier is looked for again only when long enough not to be something else by chance: eight
letters and digits with four digits ("D0882145XY"), or eight digits when it is digits only (a short
number would also match unrelated amounts)."""


def reprints(findings: list[Finding], text: str) -> list[Finding]:
    """Other printings, on the same text, of an identifier already found there with its evidence.

    A card prints its number twice (the field under its label and again up the edge or on the
    letter part); only the labelled printing carries the evidence, but each printing is the same
    person's number and is masked and boxed too. A printing inside another finding is left alone.
    A printing may differ in its separators and in one mark OCR put inside it.
    """
    taken = [(f.start, f.end) for f in findings]
    copies: list[Finding] = []
    for found in findings:
        if found.entity_type not in _IDENTIFIERS or not _long_identifier(found.text):
            continue
        characters = [ch for ch in found.text if ch.isalnum()]
        # OCR breaks a printing with a stray mark ("736HDV7874J)SB"): one more mark than the value has
        pattern = "[^\\w\\n]?".join(re.escape(ch) for ch in characters)
        marks = len(found.text) - len(characters)
        for match in re.finditer(rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", text):
            if len(match.group()) - len(characters) > marks + 1:
                continue
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            copies.append(replace(found, start=match.start(), end=match.end(), bbox=None))
    return copies


def _long_identifier(value: str) -> bool:
    characters = [ch for ch in value if ch.isalnum()]
    digits = sum(ch.isdigit() for ch in characters)
    if digits == len(characters):
        return digits >= _REPRINT_MIN_ALL_DIGITS
    return len(characters) >= _REPRINT_MIN_CHARS and digits >= _REPRINT_MIN_DIGITS


_PHONE_MIN_DIGITS = 7
"""A shorter match (a "048213" found inside a longer digit run) is a code, not a line."""
_CHAIN_BEFORE = re.compile(r"\w[ \t]*/[ \t]*$")
_CHAIN_AFTER = re.compile(r"[ \t]*/[ \t]*\w")


def slash_chain(finding: Finding, text: str) -> bool:
    """A number read as a phone that is one link of a slash-joined reference ("Ref 310/7B/44018/51923",
    "Enrolment No 2210/77381/40012"): file and enrolment numbers, not anyone's line. A phone number
    written with a slash ("089/1234567") has nothing joined to it by another slash."""
    before = text[max(0, finding.start - 8) : finding.start]
    return bool(_CHAIN_BEFORE.search(before) or _CHAIN_AFTER.match(text, finding.end))


_ORGANISATION = re.compile(
    r"(?i)\b(?:inn|hotel|motel|resort|corp|corporation|inc|llc|ltd|limited|gmbh|plc|offices?|department|dept|"
    r"division|agency|ministry|bureau|hospital|clinic|bank|university|college|council|headquarters|"
    r"customer\s+(?:service|care)|help\s?desk|helpline|hotline)\b"
)
_ORGANISATION_LINES = 3


def organisation_line(finding: Finding, text: str, people: list[Finding]) -> bool:
    """A phone number under an organisation's heading ("Harbour View Hotel / 14 Quay Street / Telephone: ..."),
    with no person's name between them: the switchboard of a hotel, an agency's office, a bank's
    hotline, reached by anyone. A name in the block (a business card, a letter's signature) makes
    it that person's line, and the phone's own line is not searched ("Office phone: ...")."""
    line_start = text.rfind("\n", 0, finding.start) + 1
    top = line_start
    for _ in range(_ORGANISATION_LINES):
        if top == 0:
            break
        top = text.rfind("\n", 0, top - 1) + 1
    if top == line_start or not _ORGANISATION.search(text, top, line_start):
        return False
    return not any(top <= g.start < finding.start for g in people)


def persons(findings: list[Finding], text: str, language: str | None) -> list[Finding]:
    """The PERSON findings of a segment that pass the filters below (the NER's raw list holds
    "Harbour View Inn" as a person, and "W. Juniper" of "918 W. Juniper Street")."""
    containers = [c for c in findings if c.entity_type in _CONTAINERS]
    return [
        g
        for g in findings
        if g.entity_type == "PERSON"
        and not ner_noise(g, language, text)
        and (g.recognizer in _LABELLED_PERSON_RECOGNIZERS or plausible_person(trim_person(g, text), text))
        and not any(c.start <= g.start and g.end <= c.end for c in containers)
    ]


_ID_LABEL = re.compile(
    r"(?i)\b(?:identification|id|member|policy|account|acct|group|reference|ref|invoice|order|serial|"
    r"personal\s+no|document|passport|licen[cs]e|fiscal\s+code|tax\s+code|record|file|case|customer\s+no|"
    r"client\s+no)\b"
)
_PHONE_WORDS = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|mob|cell|fax|call|contact|whatsapp|ring|telefon|t[ée]l[ée]phone|"
    r"tel[ée]fono|handy|portable|m[óo]vil|cellulare|reach|dial|sms|area\s+code)\b"
)


def identifier_label(finding: Finding, text: str) -> bool:
    """A number read as a phone under an identifier's label ("Member ID", "Policy", "Personal No.",
    "Fiscal code") with no phone word near it: a membership, policy or record number whose digits happen
    to fit a numbering plan. The 40 characters before it are searched, on its line and the one above
    (a heading further up, "Tenant reference", labels no number)."""
    line_start = text.rfind("\n", 0, finding.start) + 1
    top = text.rfind("\n", 0, line_start - 1) + 1 if line_start else 0
    before = text[max(top, finding.start - _ID_LABEL_WINDOW) : finding.start]
    return bool(_ID_LABEL.search(before)) and not _PHONE_WORDS.search(before)


_ID_LABEL_WINDOW = 40


_ROLE_MAILBOXES = frozenset(
    " ".join(
        (
            "info information contact contacts help helpdesk support service services customerservice assistance",
            "office admin administrator hello enquiries enquiry inquiries inquiry sales billing accounts invoices",
            "marketing press media jobs careers hr postmaster hostmaster webmaster abuse noc security privacy",
            "legal noreply no-reply donotreply do-not-reply mailer-daemon feedback team reception bookings",
            "reservations orders",
        )
    ).split()
)


def role_mailbox(value: str) -> bool:
    """An organisation's role address (RFC 2142 names such as info@, support@, webmaster@, and the
    usual help@, noreply@): a service reached by anyone, not a person's own address."""
    local = value.rpartition("@")[0].strip().lower()
    return local in _ROLE_MAILBOXES


# Presidio patterns that fit any number of the right length; without one of these words near
# them an order number becomes an NHS number (a mod-11 check passes one time in eleven).
NEEDS_CONTEXT: dict[str, tuple[str, ...]] = {
    "UK_NHS": ("nhs", "health", "patient"),
    "US_BANK_NUMBER": ("account", "bank", "acct", "routing", "checking", "savings"),
    "US_DRIVER_LICENSE": ("driver", "license", "licence", "dl", "permit", "lic", "4d"),
    "US_PASSPORT": ("passport",),
    "US_ITIN": ("itin", "taxpayer", "tax"),
    "MEDICAL_LICENSE": ("dea", "license", "licence", "medical"),
    # Verhoeff passes one 12-digit number in ten; PAN's upstream pattern is any 5 letters, 4 digits, a letter
    # "आधार" (Aadhaar in Devanagari) is what the card prints under the number when its script is read
    "IN_AADHAAR": ("aadhaar", "aadhar", "uidai", "unique identification", "आधार"),
    "IN_PAN": ("pan", "permanent account", "income tax"),
}
_ANY_CONTEXT_WORD = re.compile(
    r"\b(?:"
    + "|".join(re.escape(w) for w in sorted({w for ws in NEEDS_CONTEXT.values() for w in ws}, key=len, reverse=True))
    + ")"
)
"""Every context word in one scan, longest first: where several start at one place ("lic",
"license"), the longest is reported and the others are its prefixes."""
_CONTEXT_WINDOW = 80
_RELATIVE_DATES = frozenset({"today", "yesterday", "tomorrow", "tonight", "now", "this morning", "this evening"})
_MRZ_FIELD_RECOGNIZER = "MrzNumberRecognizer"
"""Reports an MRZ's document number inside the MRZ on purpose (when the page prints it nowhere else)."""
_CONTAINERS = frozenset({"MRZ", "EMAIL_ADDRESS", "STREET_ADDRESS", "IBAN_CODE", "CREDIT_CARD"})
"""A finding inside one of these is a piece of it (the domain of an e-mail read as a URL, the
document number of an MRZ read as a licence, the town of an address), not a finding of its own."""


def plausible_person(finding: Finding, text: str) -> bool:
    """Whether a PERSON finding looks like a name; ``text`` is its segment's text."""
    value = finding.text
    if _NOT_A_NAME.search(value) or sum(c.isalpha() for c in value) < 2 or _MASK_RUN.search(value):
        return False
    words = value.replace("\n", " ").split()
    lowered = [w.strip(".,;:'\u2019").lower() for w in words]
    if any(w in _NON_NAME_WORDS for w in lowered):
        return False
    if not all(w[:1].isupper() or lw in _PARTICLES for w, lw in zip(words, lowered, strict=True)):
        return False
    if any(_GARBLED.search(w) or _vowelless(w) for w in words):
        return False
    if len(words) == 1:
        line_start = text.rfind("\n", 0, finding.start) + 1
        return bool(_HONORIFIC_OR_LABEL.search(text[line_start : finding.start]))
    return True


_VOWELLESS = re.compile(r"[B-DF-HJ-NP-TV-XZb-df-hj-np-tv-xz]{2,}")
_VOWELLESS_NAMES = frozenset({"ng"})


def _vowelless(word: str) -> bool:
    """A word of Latin letters with no vowel ("Hrs", "Pvt", "QX"): an abbreviation, a title
    ("Mr", "Jr") or an OCR fragment, not part of a name (but the surname "Ng")."""
    bare = word.strip(".,;:'\u2019")
    return bool(_VOWELLESS.fullmatch(bare)) and bare.lower() not in _VOWELLESS_NAMES


def _has_non_name_word(value: str) -> bool:
    return any(w.strip(".,;:'\u2019").lower() in _NON_NAME_WORDS for w in value.split())


_GARBLED = re.compile(r"[a-z][A-Z]{2}|^[A-Z]{2,}[a-z]")
"""Two capitals after a small letter, or small letters after two capitals ("RotHEe",
"FAtelce"): OCR noise, where names are "McDonald", "DeShawn", "LaToya" or all capitals."""

_WORD_SPAN = re.compile(r"\S+")


def trim_person(finding: Finding, text: str) -> Finding:
    """Cut words off either end of a PERSON span that cannot be part of a name.

    NER on OCR lines often takes a neighbouring field along ("Michael Bailey 1962-12-13");
    the name inside is still a finding.
    """
    words = list(_WORD_SPAN.finditer(finding.text))

    def name_like(word: str) -> bool:
        bare = word.strip(".,;:'\u2019")
        return (
            bool(bare)
            and bare[:1].isupper()
            and not _NOT_A_NAME.search(bare)
            and bare.lower() not in _NON_NAME_WORDS
            and not _vowelless(bare)
        )

    first, last = 0, len(words) - 1
    while first <= last and not name_like(words[first].group()):
        first += 1
    while last >= first and not name_like(words[last].group()):
        last -= 1
    if first > last or (first == 0 and last == len(words) - 1):
        return finding
    start = finding.start + words[first].start()
    end = finding.start + words[last].end()
    return replace(finding, start=start, end=end, text=text[start:end])


_LABELLED_PERSON_RECOGNIZERS = frozenset(
    {"LabelledNameRecognizer", "CardNameRecognizer", "MrzNameRecognizer", "BilingualNameRecognizer", "PairedScriptName"}
)
"""Their field label (or the MRZ names line, or the Latin name beside a name in another script) is
the evidence: a single word is a name there, and a script without capitals has names too."""
_NER_TYPES = frozenset({"PERSON", "LOCATION", "NRP"})
_FUNCTION_WORDS = frozenset(
    " ".join(
        (
            "the a an and or of for to in on at by with from this that these your our their his her its my",
            "sie ihr ihre ihren ihrem ihrer ihres wir uns unser unsere sich wenn dem des das die ein eine einen",
            "einem einer und oder nicht auch bitte ich mich mir",
            "vous votre vos nous notre nos les des une est pour avec dans sur",
            "usted ustedes su sus nuestro nuestra los las una por para con",
        )
    ).split()
)
"""Pronouns, articles and conjunctions: a span holding one is a phrase, never a name (the
English model tags German imperatives such as "Besuchen Sie" as persons)."""
_DE_NOUN = re.compile(r"(?:ung|ungen|heit|keit|schaft|ierung|f(?:ä|ae)lle|gebiets?|erkl(?:ä|ae)rung)$", re.IGNORECASE)
_DE_NOUN_MIN_LETTERS = 8


_PLACE_WORDS = frozenset({"city", "county", "state", "street", "country", "rue", "calle", "straße", "strasse"})
_NON_PLACE_WORDS = _NON_NAME_WORDS - _PLACE_WORDS


def ner_noise(finding: Finding, language: str | None, text: str = "") -> bool:
    """Whether a person, place or group the English NER found is noise.

    A phrase with a pronoun or article in it is no name; a form label ("Birth", "Employee")
    or the country a form is printed for is no place of anyone's. German capitalises every
    noun and the English model calls them places and persons: in text of another language
    names are kept when they look like names, places are left to the street address
    recognizer (a town named alone in German text is lost, a cost we accept). ``text`` is the
    segment's text: it shows a label's translation next to the span, the issuer a place names,
    and whether a name in another language stands in running prose.
    """
    if finding.recognizer != "SpacyRecognizer" or finding.entity_type not in _NER_TYPES:
        return False
    words = [w.strip(".,;:'\u2019").lower() for w in finding.text.split()]
    if any(w in _FUNCTION_WORDS for w in words):
        return True
    if finding.entity_type == "LOCATION" and (
        " ".join(words) in _COUNTRY_ONLY
        or any(w in _NON_PLACE_WORDS for w in words)
        or _ABBREVIATION.fullmatch(finding.text.strip())
        or _ISSUER.search(text[max(0, finding.start - _NEAR) : finding.start])
    ):
        return True  # "VA", "MD": a state's code alone places nobody
    if finding.entity_type == "PERSON" and _PLACE_OF.search(text[max(0, finding.start - _NEAR) : finding.start]):
        return True  # "county of Hollis", "City of Bremer": a place named after someone
    if finding.entity_type == "NRP" and any(w in _NON_NAME_WORDS or not w.isalpha() for w in words):
        return True  # "Suffix", "Social", "§"
    if finding.entity_type in ("PERSON", "LOCATION") and text and translated_label(finding, text):
        return True
    if language in (None, "en"):
        return False
    if finding.entity_type != "PERSON":
        return True
    if language == "de" and any(len(w) >= _DE_NOUN_MIN_LETTERS and _DE_NOUN.search(w) for w in words):
        return True
    return bool(text) and _foreign_prose_noise(finding, text)


_FIELD_LABELS = frozenset(
    " ".join(
        (
            "surname name names given sex gender nationality citizenship height weight eyes hair date birth",
            "place issue issuing issued authority office expiry expires type code country document number no",
            "passport signature address residence municipality profession occupation class holder domicile",
        )
    ).split()
)
"""Field labels of identity documents, the English half of bilingual labels ("Jenis / Type")."""
_LABEL_WORDS = _NON_NAME_WORDS | _FIELD_LABELS
"""A row of these under a span is its translation (forms' words too: "Employee", "Relationship")."""
_SLASH_LABEL = re.compile(r"[ \t]*/\s*([^\W\d_]+)")


def translated_label(finding: Finding, text: str) -> bool:
    """Whether a span is the national-language half of a bilingual field label.

    ID documents print "Lugar de Expedición / Place of Issue" or a row of labels above the same labels in
    English; the English model reads the foreign half as a person or place. The English label
    after a slash, or a following line of as many label words, gives it away. A role after a
    slash is no label: "Jane Roe / Applicant" names her.
    """
    # the slash may sit inside the span ("Lugar de Expedición / Place of Issue" read as one) or follow it
    after = _SLASH_LABEL.search(text, finding.start, min(len(text), finding.end + _NEAR))
    if after and after.start() <= finding.end and after.group(1).lower() in _FIELD_LABELS:
        return True
    line_start = text.rfind("\n", 0, finding.start) + 1
    line_end = text.find("\n", finding.end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:line_end].strip() != finding.text.strip():
        return False
    following = text[line_end : line_end + _NEXT_LINE_CHARS].lstrip()
    next_words = following[: following.find("\n")].split() if "\n" in following else following.split()
    # a row of three or more: a name above one or two labels ("ROSA PELLEGRINO" over "Member ID") is common
    return len(next_words) == len(finding.text.split()) >= _LABEL_ROW_WORDS and all(
        w.strip(".,;:").lower() in _LABEL_WORDS for w in next_words
    )


_LABEL_ROW_WORDS = 3
_NEXT_LINE_CHARS = 200


_ACRONYM = re.compile(r"[A-Z\u00c0-\u00de]{2,5}")


def _foreign_prose_noise(finding: Finding, text: str) -> bool:
    """A "person" the English model found in running text of another language.

    Outside English the model tags capitalised nouns and article phrases ("Das Finanzamt",
    "Rückzahlung von Gebühren"); names there stand on their own lines (sender, signature) or after an
    honorific or label, which are kept. An acronym beside a capitalised word is a heading.
    """
    words = finding.text.split()
    if len(words) > 1 and any(_ACRONYM.fullmatch(w) for w in words) and not finding.text.isupper():
        return True
    line_start = text.rfind("\n", 0, finding.start) + 1
    line_end = text.find("\n", finding.end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if len(line.split()) <= _SHORT_LINE_WORDS:
        return False
    return not _HONORIFIC_OR_LABEL.search(text[line_start : finding.start])


_SHORT_LINE_WORDS = 4


def suppress(findings: list[Finding], text: str = "", language: str | None = None) -> list[Finding]:
    """Drop implausible persons and pieces of a larger finding, within one segment."""
    containers = [f for f in findings if f.entity_type in _CONTAINERS]
    kept = []
    people: list[Finding] | None = None  # the segment's plausible persons, made for the first phone
    specific = [f for f in findings if f.entity_type in _MORE_SPECIFIC_THAN_PHONE]
    for found in findings:
        if any(
            g is not found
            and g.entity_type == found.entity_type
            and g.start <= found.start
            and found.end <= g.end
            and (g.end - g.start) > (found.end - found.start)
            and not _more_precise(found, g)
            for g in findings
        ):
            continue  # the same thing read twice, once in part ("michael84@…" inside "bailey. michael84@…")
        if found.entity_type == "ID_NUMBER" and any(
            g.entity_type in _NAMED_IDENTIFIERS and g.start <= found.start and found.end <= g.end for g in findings
        ):
            continue  # a labelled number a national recognizer also named ("Aadhaar No." over a valid Aadhaar)
        f = found
        if ner_noise(f, language, text):
            continue
        if f.entity_type == "PERSON" and f.recognizer not in _LABELLED_PERSON_RECOGNIZERS:
            f = trim_person(f, text)
            if not plausible_person(f, text):
                continue
        elif f.entity_type == "PERSON" and _has_non_name_word(f.text):
            continue  # "Name" above "Relationship": the next field's label, not a name
        if f.entity_type == "DATE_TIME" and f.text.strip().lower() in _RELATIVE_DATES:
            continue  # "today" is no date of anyone's
        words = NEEDS_CONTEXT.get(f.entity_type)
        if words and not _has_context(text, f, words):
            continue
        if f.entity_type == "PHONE_NUMBER":
            if people is None:
                people = persons(findings, text, language)
            if (
                sum(ch.isdigit() for ch in f.text) < _PHONE_MIN_DIGITS
                or _DATE_LIKE.match(f.text)
                or _MONEY.search(f.text)
                or toll_free(f.text)
                or slash_chain(f, text)
                or organisation_line(f, text, people)
                or identifier_label(f, text)
                or any(s.start < f.end and f.start < s.end for s in specific)
            ):
                continue  # a date or an SSN also fits a phone number's digits; the specific reading wins
        if f.entity_type == "EMAIL_ADDRESS" and role_mailbox(f.text):
            continue
        if any(
            c.entity_type != f.entity_type
            and c.start <= f.start
            and f.end <= c.end
            and (c.end - c.start) > (f.end - f.start)
            and f.recognizer != _MRZ_FIELD_RECOGNIZER
            for c in containers
        ):
            continue
        kept.append(f)
    return join_places(kept, text)


_PLACE_JOINER = re.compile(r",[ \t]*")


_PRECISE_PLACES = frozenset({"UsPlaceRecognizer"})


_COARSE_PLACES = frozenset({"SpacyRecognizer", "LabelledPlaceRecognizer"})


def _more_precise(inner: Finding, outer: Finding) -> bool:
    """A "Town, State" inside a NER place or a labelled line: they ran two columns together, the
    pattern did not."""
    return inner.recognizer in _PRECISE_PLACES and outer.recognizer in _COARSE_PLACES


def join_places(findings: list[Finding], text: str) -> list[Finding]:
    """One LOCATION for "Detroit, Michigan": the NER tags town and state apart, and either
    alone names a region of millions where together they name where someone lives. The same
    for a group ("American Indian"). A NER place holding a "Town, State" match gives way to it."""
    precise = [f for f in findings if f.recognizer in _PRECISE_PLACES]
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, f.end)):
        if any(_more_precise(p, f) and f.start < p.end and p.start < f.end for p in precise):
            continue
        last = out[-1] if out else None
        if (
            last is not None
            and f.entity_type == last.entity_type
            and last.end <= f.start
            and (
                (f.entity_type == "LOCATION" and _PLACE_JOINER.fullmatch(text, last.end, f.start))
                or (f.entity_type == "NRP" and text[last.end : f.start] == " ")
            )
        ):
            out[-1] = replace(last, end=f.end, text=text[last.start : f.end], score=max(last.score, f.score))
            continue
        out.append(f)
    return out


# What a text must contain for a recognizer to have anything to find: cheap scans that let the
# expensive patterns (Presidio's e-mail and IP expressions cost 1.5-3 ms a page) skip most pages.
_NECESSARY: dict[str, re.Pattern[str]] = {
    "EMAIL_ADDRESS": re.compile(r"@"),
    # a dotted quad's inner part, or two colons at most four hex digits apart (IPv6)
    "IP_ADDRESS": re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|:[0-9A-Fa-f]{0,4}:"),
    "MAC_ADDRESS": re.compile(r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}"),
    # "-4hex-" after eight hex digits; led by the hyphen, which the scan finds fast
    "UUID": re.compile(r"-[0-9A-Fa-f]{4}-(?<=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-)"),
    "CREDIT_CARD": re.compile(r"\d(?:[ -]?\d){11}"),
    "IBAN_CODE": re.compile(r"[A-Za-z]{2}[ ]?\d{2}"),
}


def plausible_entities(entities: list[str], text: str) -> list[str]:
    """The entities worth running recognizers for on ``text``: context-gated ones only when one
    of their words occurs, pattern ones only when their necessary characters do. Whatever the
    others found would be dropped or could not exist, so they need not run."""
    found = {m.group() for m in _ANY_CONTEXT_WORD.finditer(text.lower())}
    kept = []
    for entity in entities:
        words = NEEDS_CONTEXT.get(entity)
        if words is not None and not any(seen.startswith(word) for seen in found for word in words):
            continue
        necessary = _NECESSARY.get(entity)
        if necessary is not None and not necessary.search(text):
            continue
        kept.append(entity)
    return kept


def _has_context(text: str, finding: Finding, words: tuple[str, ...]) -> bool:
    window = text[max(0, finding.start - _CONTEXT_WINDOW) : finding.end + _CONTEXT_WINDOW // 4].lower()
    return any(re.search(rf"\b{re.escape(word)}", window) for word in words)
