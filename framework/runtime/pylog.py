"""Python's side of a run's logs: logging records and library warnings go to the run's
python.log, with the pipeline's secret values masked, instead of the terminal."""

from __future__ import annotations

import contextlib
import logging
import warnings

from framework.masking import hide

# pyspark's loggers of a failed query's context write JSON to stderr and never propagate
_PYSPARK_STDERR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


class _LogFile(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """A log line that cannot be written (a full disk) is lost quietly: logging would print
        a traceback on the terminal instead."""


class _Hiding(logging.Formatter):
    """Log lines with the pipeline's secret values (and DSN passwords) masked: a failed query's
    context quotes the SQL, which may hold a value built from a secret variable."""

    def __init__(self, secrets: list[str]):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return hide(super().format(record), self.secrets)


@contextlib.contextmanager
def python_log_to(path: str, secrets: list[str]):
    """Python logging of the run (py4j's complaints when the JVM dies, say) and library warnings
    (pyspark's UserWarnings) go to `path` in the run's folder, not the terminal; the handlers
    and warning display the process had come back afterwards."""
    from pyspark.logger import PySparkLogger

    root = logging.getLogger()
    quiet = [PySparkLogger.getLogger(name) for name in _PYSPARK_STDERR_LOGGERS]
    saved, show = [lg.handlers[:] for lg in (root, *quiet)], warnings.showwarning
    handler = _LogFile(path, encoding="utf-8", delay=True)
    handler.setFormatter(_Hiding(secrets))
    for lg in (root, *quiet):
        lg.handlers = [handler]
    logging.captureWarnings(True)  # warnings become records of the `py.warnings` logger
    try:
        yield
    finally:
        logging.captureWarnings(False)
        warnings.showwarning = show
        for lg, handlers in zip((root, *quiet), saved, strict=True):
            lg.handlers = handlers
        handler.close()
