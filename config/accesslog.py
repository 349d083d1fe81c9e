"""gunicorn's logger, writing lines like the site's (`--logger-class
config.accesslog.AccessLogger`, in the Procfile).

Each access line ends with the request's id and user (left in the WSGI environ
by config.requestid: the request's log context is gone when gunicorn writes the
line), or is a JSON object with them when LOG_FORMAT=json. Every line, access
and error alike, goes through config.logs's formatters, so the keys in reset and
confirmation links are scrubbed from the request line and the Referer.
"""

from typing import Any

from gunicorn import glogging

from config import logs


class AccessLogger(glogging.Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        json = logs.log_format() == "json"
        formats = {
            self.error_log: logs.TextFormatter(self.error_fmt, self.datefmt),
            self.access_log: logs.TextFormatter("%(message)s %(context)s"),
        }
        for log, text in formats.items():
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(logs.JsonFormatter() if json else text)

    def access(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        status = str(atoms["s"])
        fields = {
            "request_id": environ.get(logs.ENVIRON_REQUEST_ID),
            "user_id": environ.get(logs.ENVIRON_USER_ID),
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(status) if status.isdigit() else status,
            "bytes": atoms["B"],
            "duration_seconds": float(atoms["L"]),
            "remote_addr": atoms["h"],
            "referer": environ.get("HTTP_REFERER"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            line = self.cfg.access_log_format % self.atoms_wrapper_class(atoms)
            self.access_log.info("%s", line, extra=fields)
        except Exception:
            self.exception("access log line failed")
