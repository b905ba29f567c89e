"""The kit's errors, in one light module: the command line catches them without importing
pandas, altair or papermill first."""


class DataError(ValueError):
    """A data file does not match its schema. The message names the file, row and column."""


class RequestError(ValueError):
    """A briefing was asked for a company, date or notebook the kit cannot use."""


class NoDataYet(RequestError):
    """A valid company, but nothing of it was public by the date asked for."""


class RenderError(RuntimeError):
    """A notebook cell failed; the message names the cell and keeps the executed notebook."""


class KernelError(RuntimeError):
    """A kernel could not be started or prepared."""


class OutputError(RuntimeError):
    """An output could not be written (a full disk, a read-only folder): names the path."""


class FetchError(RuntimeError):
    """A download failed for good: names the URL and what happened."""
