"""Custom Presidio recognizers: MRZ, street address, GPS, names printed under form labels, the
numbered fields of driver's licences and identity numbers (check-digit formats, labelled values)."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from piiscan.scanner.detect.recognizers.address_block import AddressBlockRecognizer
from piiscan.scanner.detect.recognizers.card_face import CardFaceRecognizer, MastercardTwoSeriesRecognizer
from piiscan.scanner.detect.recognizers.form_address import FormAddressRecognizer
from piiscan.scanner.detect.recognizers.form_name import FormNameRecognizer, NameTableRecognizer
from piiscan.scanner.detect.recognizers.gps import GpsCoordinatesRecognizer
from piiscan.scanner.detect.recognizers.handle_name import HandleNameRecognizer
from piiscan.scanner.detect.recognizers.id_fields import (
    CardNameRecognizer,
    DocumentDiscriminatorRecognizer,
    LicenceNumberRecognizer,
)
from piiscan.scanner.detect.recognizers.id_numbers import (
    CaptionBelowIdRecognizer,
    EinRecognizer,
    HkIdRecognizer,
    HkNameCodeRecognizer,
    LabelledFiscalCodeRecognizer,
    LabelledIdRecognizer,
    LabelledSsnRecognizer,
    MrzNumberRecognizer,
)
from piiscan.scanner.detect.recognizers.labelled_name import LabelledNameRecognizer
from piiscan.scanner.detect.recognizers.labelled_place import LabelledPlaceRecognizer
from piiscan.scanner.detect.recognizers.local_phone import LocalPhoneRecognizer
from piiscan.scanner.detect.recognizers.mrz import MrzData, MrzRecognizer, parse_mrz
from piiscan.scanner.detect.recognizers.mrz_names import MrzNameRecognizer
from piiscan.scanner.detect.recognizers.script_names import BilingualNameRecognizer
from piiscan.scanner.detect.recognizers.split_email import SplitEmailRecognizer
from piiscan.scanner.detect.recognizers.street_address import StreetAddressRecognizer
from piiscan.scanner.detect.recognizers.us_place import UsPlaceRecognizer

__all__ = [
    "AddressBlockRecognizer",
    "BilingualNameRecognizer",
    "CaptionBelowIdRecognizer",
    "CardFaceRecognizer",
    "CardNameRecognizer",
    "DocumentDiscriminatorRecognizer",
    "EinRecognizer",
    "FormAddressRecognizer",
    "FormNameRecognizer",
    "GpsCoordinatesRecognizer",
    "HandleNameRecognizer",
    "HkIdRecognizer",
    "HkNameCodeRecognizer",
    "LabelledFiscalCodeRecognizer",
    "LabelledIdRecognizer",
    "LabelledNameRecognizer",
    "LabelledPlaceRecognizer",
    "LabelledSsnRecognizer",
    "LicenceNumberRecognizer",
    "LocalPhoneRecognizer",
    "MastercardTwoSeriesRecognizer",
    "MrzData",
    "MrzNameRecognizer",
    "MrzNumberRecognizer",
    "MrzRecognizer",
    "NameTableRecognizer",
    "SplitEmailRecognizer",
    "StreetAddressRecognizer",
    "UsPlaceRecognizer",
    "custom_recognizers",
    "parse_mrz",
]


def custom_recognizers(language: str = "en") -> list[EntityRecognizer]:
    """Fresh recognizer instances for ``language``, ready for a Presidio registry.

    MRZ and GPS notation and postcode-line address blocks do not depend on the language; street
    addresses are only offered for the languages whose layouts the recognizer knows.
    """
    recognizers: list[EntityRecognizer] = [
        MrzRecognizer(supported_language=language),
        GpsCoordinatesRecognizer(supported_language=language),
        LabelledNameRecognizer(supported_language=language),
        SplitEmailRecognizer(supported_language=language),
        CardNameRecognizer(supported_language=language),
        BilingualNameRecognizer(supported_language=language),
        LicenceNumberRecognizer(supported_language=language),
        DocumentDiscriminatorRecognizer(supported_language=language),
        LabelledIdRecognizer(supported_language=language),
        HkIdRecognizer(supported_language=language),
        HkNameCodeRecognizer(supported_language=language),
        LabelledSsnRecognizer(supported_language=language),
        LabelledFiscalCodeRecognizer(supported_language=language),
        CaptionBelowIdRecognizer(supported_language=language),
        CardFaceRecognizer(supported_language=language),
        MastercardTwoSeriesRecognizer(supported_language=language),
        EinRecognizer(supported_language=language),
        MrzNumberRecognizer(supported_language=language),
        MrzNameRecognizer(supported_language=language),
        UsPlaceRecognizer(supported_language=language),
        LocalPhoneRecognizer(supported_language=language),
        FormAddressRecognizer(supported_language=language),
        FormNameRecognizer(supported_language=language),
        NameTableRecognizer(supported_language=language),
        HandleNameRecognizer(supported_language=language),
        AddressBlockRecognizer(supported_language=language),
        LabelledPlaceRecognizer(supported_language=language),
    ]
    if language in StreetAddressRecognizer.SUPPORTED_LANGUAGES:
        recognizers.append(StreetAddressRecognizer(supported_language=language))
    return recognizers
