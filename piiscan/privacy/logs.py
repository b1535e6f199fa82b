"""The last line of defence for logs: mask e-mails, phone numbers and card/IBAN-like runs.

piiscan logs ids, verdicts and error types only; this catches what a library or a future change
lets through. :class:`RedactingFilter` rewrites a record's message (arguments merged in) and its
traceback text. :func:`install` puts it on every handler the process has and, through the log
record factory, on every record created from then on, whatever handler is added later (Celery's,
uvicorn's, a test's). Names cannot be told from other words by a pattern: they are kept out of
logs by the code, not by this filter.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

_EMAIL = re.compile(r"[\w.+-]+\s*@\s*[\w-]+(?:\s*\.\s*[\w-]+)+", re.UNICODE)
_IBAN = re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?:[ -]?[0-9A-Z]{2,4}){3,8}(?![0-9A-Za-z])", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\+?\(?\d[\d\s().\-/]{5,}\d(?![0-9A-Za-z])")
_MIN_DIGITS = 7
# piiscan's own ids (uuid4 hex, with or without dashes): about one in eighteen starts like an IBAN
# ('ee48d3...'), and a masked id makes a log useless for following a scan. They are never a value.
_OWN_ID = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![0-9A-Za-z-])"
)

REDACTED = "[redacted]"


def _digits(match: re.Match[str]) -> str:
    text = match.group(0)
    return REDACTED if sum(ch.isdigit() for ch in text) >= _MIN_DIGITS else text


def redact(text: str) -> str:
    """``text`` with e-mail addresses, IBAN-like codes and runs of seven or more digits masked."""
    text = _EMAIL.sub(REDACTED, text)  # before ids are set apart: an id-shaped local part is still an address
    parts, last = [], 0
    for match in _OWN_ID.finditer(text):  # ids only collide with the number patterns
        parts += [_numbers(text[last : match.start()]), match.group(0)]
        last = match.end()
    return "".join([*parts, _numbers(text[last:])])


def _numbers(text: str) -> str:
    text = _IBAN.sub(lambda m: REDACTED if any(ch.isdigit() for ch in m.group(0)[4:]) else m.group(0), text)
    return _DIGIT_RUN.sub(_digits, text)


class RedactingFilter(logging.Filter):
    """Masks personal values in a record's message, traceback and string extras; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        self._message(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True

    @staticmethod
    def _message(record: logging.LogRecord) -> None:
        """Redact the template and each argument apart, keeping the arguments' shape: formatters
        such as uvicorn's access log unpack ``record.args``. Merged when that cannot be kept."""
        try:
            record.getMessage()
            msg = redact(str(record.msg))
            args: Any = record.args
            if isinstance(args, tuple):
                args = tuple(_redact_arg(a) for a in args)
            elif isinstance(args, dict):
                args = {k: _redact_arg(v) for k, v in args.items()}
            candidate = logging.makeLogRecord({"msg": msg, "args": args})
            candidate.getMessage()  # still formats
            record.msg, record.args = msg, args
        except Exception:  # a bad format string or an argument that changed its kind: one plain string
            try:
                message = record.getMessage()
            except Exception:
                message = str(record.msg)
            record.msg, record.args = redact(message), None


def _redact_arg(value: Any) -> Any:
    """Short numbers stay numbers (``%d``); anything else is redacted as the text it prints as."""
    if value is None or (isinstance(value, bool | int | float) and redact(str(value)) == str(value)):
        return value
    return redact(value if isinstance(value, str) else str(value))


_STANDARD = frozenset(logging.LogRecord("x", 0, "x", 0, "x", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                doc[name] = value if isinstance(value, int | float | bool | type(None)) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc, ensure_ascii=False)


_FILTER = RedactingFilter()
_installed = False


def add_to_handlers(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def use_json(logger: logging.Logger | None = None) -> None:
    """Format every handler of ``logger`` (the root logger by default) as JSON lines; add one to stderr if none."""
    target = logger or logging.getLogger()
    if not target.handlers:
        target.addHandler(logging.StreamHandler())
    for handler in target.handlers:
        handler.setFormatter(JsonFormatter())


def install(json_lines: bool = False) -> None:
    """Redact every log record this process creates from now on; optionally format logs as JSON lines."""
    global _installed
    root = logging.getLogger()
    if json_lines:
        use_json(root)
    add_to_handlers(root)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
