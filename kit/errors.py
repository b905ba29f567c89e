"""The kit's errors, in one light module: the command line catches them without importing
pandas, altair or papermill first."""


class KitError(Exception):
    """Every error the kit raises on purpose: the message says what is wrong and how to fix
    it. `kit` on the command line reports it in one line with a non-zero exit."""


class DataError(KitError, ValueError):
    """A data file does not match its schema. The message names the file, row and column."""


class RequestError(KitError, ValueError):
    """A briefing was asked for a company, date or notebook the kit cannot use."""


class NoDataYet(RequestError):
    """A valid company, but nothing of it was public by the date asked for."""


class RenderError(KitError, RuntimeError):
    """A notebook cell failed; the message names the cell and keeps the executed notebook."""


class KernelError(KitError, RuntimeError):
    """A kernel could not be started or prepared."""


class OutputError(KitError, RuntimeError):
    """An output could not be written (a full disk, a read-only folder): names the path."""


class FetchError(KitError, RuntimeError):
    """A download failed for good: names the URL and what happened."""


class ClusterError(KitError, RuntimeError):
    """A Dask cluster could not be reached or used: names the address and what to do."""
