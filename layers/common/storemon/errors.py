"""Every error storemon raises on purpose, in one hierarchy.

::

    StoremonError
    ├── UnusableInput        this input cannot work: the worker fails the report, no retry
    │   ├── InputError       a file that cannot be used at all ("<file>: <problem>")
    │   ├── MissingInput     an input the report needs is not in S3
    │   ├── ObjectMissing    an S3 object (or the recorded version of it) is not there
    │   └── ObjectForbidden  S3 refused the read (403)
    ├── SnapshotError        a snapshot that cannot be used (the caller reads the CSV files)
    ├── ConfigurationError   the function's environment lacks a setting
    └── RequestError         what a client asked for cannot be done (HTTP 4xx/5xx at the edge)
        ├── InvalidRequest   400: the request itself is malformed
        ├── Unauthorized     401: no valid credentials
        ├── Forbidden        403: valid credentials, not allowed
        ├── NotFound         404: nothing at that address
        │   └── ReportNotFound
        ├── Conflict         409: the resource is in the wrong state
        ├── Unprocessable    422: well formed, but what it names cannot be used
        ├── TooManyRequests  429: over a quota; try again later
        └── Unavailable      503: a dependency failed; try again

The errors say *what* went wrong; only :mod:`storemon.service.http` decides the HTTP status
code, headers and body of each. Each class carries the exit status of the ``storemon``
command that it ends (``exit_status``: 2 for an input or snapshot that cannot work, as for a
usage error; 1 otherwise), so the command catches them once. This module imports nothing, so
anything may import it.
"""

from __future__ import annotations


class StoremonError(Exception):
    """Base of every error storemon raises on purpose."""

    exit_status = 1  # of the storemon command this error ends


class UnusableInput(StoremonError):
    """This input cannot work, whatever the number of attempts."""

    exit_status = 2


class InputError(UnusableInput):
    """An input file that cannot be used at all. ``str(error)`` is ``"<file>: <problem>"``."""

    def __init__(self, file: str, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


class MissingInput(UnusableInput):
    """An input the report needs is not in S3 (never uploaded, deleted or replaced)."""


class ObjectMissing(UnusableInput, LookupError):
    """The object (or the recorded version of it) does not exist, or changed since recorded."""


class ObjectForbidden(UnusableInput, PermissionError):
    """S3 refused the read (403 AccessDenied): the role may not read the object, or the object
    does not exist and the role may not list its key (S3 does not say which). Not transient:
    retrying gets the same answer."""


class SnapshotError(StoremonError):
    """A snapshot that cannot be used: another version, damaged or truncated."""

    exit_status = 2


class ConfigurationError(StoremonError):
    """A required setting is missing or malformed; the message names the variable."""


class RequestError(StoremonError):
    """A client's request cannot be done; ``str(error)`` says what is wrong, for the client."""


class InvalidRequest(RequestError):
    """The request is malformed (a field, a parameter, the body)."""


class Unauthorized(RequestError):
    """No valid credentials."""


class Forbidden(RequestError):
    """Valid credentials that do not allow this request."""


class NotFound(RequestError):
    """Nothing at that address."""


class ReportNotFound(NotFound):
    """No report with that id (unknown, expired, or no ``latest`` yet)."""


class Conflict(RequestError):
    """The resource is in a state that does not allow the request (e.g. a Failed report's CSV)."""


class Unprocessable(RequestError):
    """The request is well formed (its schema holds) but what it names cannot be used, for a
    reason no schema can say: a webhook URL whose host does not resolve, or resolves to an
    address the service refuses to reach."""


class TooManyRequests(RequestError):
    """The caller has as many reports running as they may (``retry_after`` seconds: said in
    the answer's Retry-After header)."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(RequestError):
    """A dependency failed; the same request may work later (``retry_after`` seconds: said in
    the answer's Retry-After header)."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
