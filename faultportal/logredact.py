"""No token in a log line: `token=` values and Authorization headers are redacted.

Flume's HTTP sink can only put its token in the URL (`/api/log/auto-upload?token=…`), and an
access log writes every URL. gunicorn's access log (ACCESS_LOG=1) goes through
RedactingGunicornLogger (gunicorn.conf.py's logger_class) and the portal's own log records
through RedactTokensFilter (settings.LOGGING), so neither ever holds a token.
"""

import logging
import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# token=… in a query string (also URL-encoded inside another value: token%3D…), up to the next
# separator; and the credentials of an Authorization header.
_QUERY_TOKEN = re.compile(r"(?i)(token(?:=|%3D))[^&\s\"';#]*")
_AUTHORIZATION = re.compile(r"(?i)(\bauthorization:\s*(?:token|bearer|basic)\s+)\S+")
_SECRET_HEADERS = frozenset({"{authorization}i", "{cookie}i", "{set-cookie}o", "{x-api-key}i"})


def redact(text: str) -> str:
    """`text` with every `token=` value and Authorization credential replaced."""
    if "oken" not in text and "OKEN" not in text and "uthorization" not in text.lower():
        return text
    text = _QUERY_TOKEN.sub(rf"\g<1>{REDACTED}", text)
    return _AUTHORIZATION.sub(rf"\g<1>{REDACTED}", text)


class RedactingGunicornLogger(Logger):
    """gunicorn's logger whose access-log atoms hold no token, cookie or Authorization value."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in _SECRET_HEADERS:
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


class RedactTokensFilter(logging.Filter):
    """A handler filter: the record's formatted message, and its traceback, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
