"""The text-page tokenizer of the selective NLP engine: one ``findall`` instead of a Python loop
over matches, and exactly the same tokens, trailing spaces and offsets as the loop gave."""

from __future__ import annotations

import re

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from piiscan.scanner.detect.nlp import _tokenize

_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")
VOCAB = spacy.blank("en").vocab


def loop_tokenize(text: str) -> tuple[list[str], list[bool], list[int]]:
    """The previous implementation, kept as the reference."""
    words: list[str] = []
    spaces: list[bool] = []
    starts: list[int] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        start = match.start()
        if token[0].isspace():
            if words and not spaces[-1] and token[0] == " " and not words[-1][0].isspace():
                spaces[-1] = True
                token = token[1:]
                start += 1
            if not token:
                continue
        words.append(token)
        spaces.append(False)
        starts.append(start)
    return words, spaces, starts


def check(text: str) -> None:
    doc, words, starts = _tokenize(VOCAB, text)
    expected_words, expected_spaces, expected_starts = loop_tokenize(text)
    assert words == expected_words
    assert starts == expected_starts
    assert [bool(t.whitespace_) for t in doc] == expected_spaces
    assert doc.text == text
    assert [t.idx for t in doc] == starts


def test_known_layouts() -> None:
    for text in [
        "",
        " ",
        "  leading and trailing  ",
        "Dear Mr. Thompson,\n\nThank you.\tTabs\t and  double  spaces \n",
        "(217) 555-0147 or margaret.whitfield@example.com; IBAN DE89 3704 0044 0532 0130 00.",
        "Größe: Ærø\u00a0non-breaking\u2003em space\r\nCRLF",
    ]:
        check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 .,-\n\t\u00a0é@")), max_size=60))
def test_same_tokens_as_the_loop(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_same_tokens_as_the_loop_on_any_text(text: str) -> None:
    check(text)
