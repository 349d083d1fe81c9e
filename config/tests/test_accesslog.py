import datetime
import json
import logging

import pytest
from gunicorn.config import Config

from config import logs
from config.accesslog import AccessLogger

CONFIRM = "/accounts/confirm-email/MQ:1tY2bz:s3cr3tSig/"


class Response:
    status = "200 OK"
    sent = 1234
    headers = [("X-Request-ID", "req-5")]


class Request:
    headers = [("USER-AGENT", "curl/8")]


def environ(path: str, **extra) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://127.0.0.1{CONFIRM}",
        "HTTP_USER_AGENT": "curl/8",
        logs.ENVIRON_REQUEST_ID: "req-5",
        logs.ENVIRON_USER_ID: 12,
        **extra,
    }


@pytest.fixture
def access_line(monkeypatch, capsys):
    """The access line gunicorn writes for one request, with LOG_FORMAT as given."""

    def write(log_format: str, path: str = CONFIRM, **extra) -> str:
        monkeypatch.setenv("LOG_FORMAT", log_format)
        config = Config()
        config.set("accesslog", "-")
        logger = AccessLogger(config)
        took = datetime.timedelta(milliseconds=15)
        logger.access(Response(), Request(), environ(path, **extra), took)
        return capsys.readouterr().out.strip()

    yield write
    for name in ("gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).handlers.clear()


def test_a_text_line_is_gunicorn_s_with_the_request_and_user(access_line):
    line = access_line("text")
    assert line.startswith("127.0.0.1 - - [")
    assert line.endswith('"curl/8" [req=req-5 user=12]')
    assert "s3cr3tSig" not in line
    assert '"GET /accounts/confirm-email/[redacted]/ HTTP/1.1" 200 1234' in line


def test_a_json_line_has_the_request_s_fields(access_line):
    line = json.loads(access_line("json", QUERY_STRING="a=1"))
    assert "s3cr3tSig" not in json.dumps(line)
    assert line["logger"] == "gunicorn.access"
    assert line["request_id"] == "req-5"
    assert line["user_id"] == 12
    assert (line["method"], line["status"], line["bytes"]) == ("GET", 200, 1234)
    assert line["path"] == "/accounts/confirm-email/[redacted]/"
    assert line["query"] == "a=1"
    assert line["duration_seconds"] == 0.015
    assert line["referer"] == "http://127.0.0.1/accounts/confirm-email/[redacted]/"


def test_a_request_that_never_reached_django_has_no_id(access_line):
    line = access_line(
        "text",
        "/x",
        **{logs.ENVIRON_REQUEST_ID: None, logs.ENVIRON_USER_ID: None},
    )
    assert line.endswith('"curl/8"')


def test_error_lines_are_scrubbed_too(monkeypatch, capsys):
    monkeypatch.setenv("LOG_FORMAT", "json")
    config = Config()
    logger = AccessLogger(config)
    logger.error("Invalid request from %s: %s", "127.0.0.1", CONFIRM)
    logging.getLogger("gunicorn.error").handlers.clear()
    line = json.loads(capsys.readouterr().err)
    assert line["level"] == "ERROR"
    assert line["message"].endswith("/accounts/confirm-email/[redacted]/")
