import http.client
import http.cookies
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import urllib.parse

import pytest

from avatars.tests.test_recovery_with_consumer import wait_until
from config import logs
from config.tests.conftest import running_site
from testing import image_factory, multipart
from testing.logs import json_lines, parse

logger = logging.getLogger("avatars.test_logs")


def text_line(record_message: str, **extra) -> str:
    """One record through the settings' text handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(
        logs.TextFormatter(
            "{levelname} {name} [{elapsed:.3f}s] {context}- {message}",
            style="{",
            defaults={"elapsed": 0.0},
        )
    )
    record = logging.makeLogRecord(
        {"name": "avatars.x", "levelname": "INFO", "msg": record_message, **extra}
    )
    handler.handle(record)
    return stream.getvalue().rstrip("\n")


def test_text_lines_show_the_request_and_user_when_there_are_some():
    assert text_line("no request") == "INFO avatars.x [0.000s] - no request"
    with logs.bound(request_id="abc123", user=lambda: 7):
        assert (
            text_line("signed up", elapsed=0.25)
            == "INFO avatars.x [0.250s] [req=abc123 user=7] - signed up"
        )


def test_json_lines_carry_time_level_logger_message_context_and_extras():
    with json_lines() as lines, logs.bound(request_id="abc123", user=lambda: 7):
        logger.info("made %d", 6, extra={"decode_seconds": 0.031})
    [line] = lines
    assert line.pop("time").endswith("Z")
    assert line == {
        "level": "INFO",
        "logger": "avatars.test_logs",
        "message": "made 6",
        "request_id": "abc123",
        "user_id": 7,
        "task": None,
        "task_id": None,
        "decode_seconds": 0.031,
    }


def test_a_traceback_is_one_field_of_one_line():
    with json_lines() as lines:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed")
    [line] = lines
    assert line["message"] == "it failed"
    assert "Traceback" in line["exc_info"] and "ValueError: boom" in line["exc_info"]


def test_each_thread_keeps_its_own_request_id():
    seen: dict[str, str | None] = {}
    inside = threading.Barrier(2)

    def request(request_id: str) -> None:
        with logs.bound(request_id=request_id):
            inside.wait(timeout=10)  # both requests are bound at once
            seen[request_id] = logs.current().request_id

    threads = [threading.Thread(target=request, args=(r,)) for r in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": "a", "b": "b"}
    assert logs.current().request_id is None


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /accounts/confirm-email/MQ:1tY2bz:k3y_S1gn-ed/ HTTP/1.1", "k3y_S1gn"),
        ("GET /accounts/password/reset/key/3-c7b9a2-6f1d0e/ HTTP/1.1", "c7b9a2"),
        ("next=%2Faccounts%2Fconfirm-email%2FMQ%3A1tY2bz%3Ak3ySig%2F", "k3ySig"),
        ("next=/accounts/password%2Freset%2Fkey%2F3-c7b9a2/", "c7b9a2"),
        ("login=hana&password=correct+horse&remember=on", "correct"),
        ('{"password1": "hunter2hunter2"}', "hunter2"),
        ("Cookie: csrftoken=abc; sessionid=9x8y7z6w5v", "9x8y7z6w5v"),
        ("session_key=9x8y7z6w5v deleted", "9x8y7z6w5v"),
    ],
)
def test_secrets_are_scrubbed(text, secret):
    redacted = logs.redact(text)
    assert secret not in redacted
    assert logs.REDACTED in redacted


def test_what_is_no_secret_stays():
    line = 'GET /profile/avatar/?after=2 HTTP/1.1" 200 "/accounts/password/reset/"'
    assert logs.redact(line) == line


def test_both_formats_scrub_the_line_they_write():
    message = "Not Found: /accounts/confirm-email/MQ:1tY2bz:s3cr3tSig/"
    assert "s3cr3tSig" not in text_line(message)
    with json_lines() as lines:
        logger.warning(message)
    assert "s3cr3tSig" not in json.dumps(lines)


def test_log_format_is_text_json_or_an_error_naming_it(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert logs.log_format() == "text"
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert logs.log_format() == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SystemExit, match="LOG_FORMAT must be text or json"):
        logs.log_format()


DEVELOPMENT_404 = """
import logging
import django

django.setup()
logging.getLogger("django.request").warning(
    "Not Found: %s", "/accounts/confirm-email/MQ:1xZ8xD:DevelopmentKey/"
)
"""


def test_development_prints_django_s_lines_once_and_scrubbed(tmp_path):
    """In development Django adds a plain console handler of its own to its
    loggers: a 404 for a confirmation link would print the key."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "DATA_DIR": str(tmp_path),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", DEVELOPMENT_404],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "DevelopmentKey" not in result.stderr + result.stdout
    assert result.stderr.count("Not Found: /accounts/confirm-email/[redacted]/") == 1


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_settings_formatter_follows_log_format(monkeypatch, log_format):
    monkeypatch.setenv("LOG_FORMAT", log_format)
    config = logs.formatter_config("[{elapsed:.1f}s] {context}- {message}")
    factory = {"config.logs.TextFormatter": logs.TextFormatter}.get(
        config.pop("()"), logs.JsonFormatter
    )
    formatter = factory(**config)
    record = logging.makeLogRecord({"msg": "hello", "request_id": "r1"})

    written = formatter.format(record)

    if log_format == "json":
        assert json.loads(written)["request_id"] == "r1"
    else:
        assert written == "[0.0s] [req=r1] - hello"


class Visitor:
    """A browser's cookies and CSRF token against a live site, redirects
    followed by hand so that every cookie set on the way is seen."""

    def __init__(self, url: str) -> None:
        self.host, self.port = urllib.parse.urlsplit(url).netloc.split(":")
        self.cookies: dict[str, str] = {}
        self.session_keys: set[str] = set()
        self.path = "/"  # where the last request ended, after redirects

    def request(self, method: str, path: str, body=b"", content_type=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        html = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
                if name == "sessionid" and morsel.value:
                    self.session_keys.add(morsel.value)
        connection.close()
        self.path = path
        if response.status in (301, 302, 303):
            location = urllib.parse.urlsplit(response.headers["Location"])
            return self.request(
                "GET", location.path + (f"?{location.query}" if location.query else "")
            )
        assert response.status == 200, (method, path, response.status, html[:500])
        return html

    def token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def submit(self, path: str, fields: list, page: str | None = None) -> str:
        page = page if page is not None else self.request("GET", path)
        body, content_type = multipart.encode(
            [("csrfmiddlewaretoken", self.token(page)), *fields]
        )
        return self.request("POST", path, body, content_type)


def link_in_mail(inbox, path_start: str) -> str:
    wait_until(
        lambda: any(path_start in mail_text(message) for message in inbox.messages)
    )
    for message in reversed(inbox.messages):
        if match := re.search(
            rf"https?://[^/\s]+({path_start}[^\s\"<>]+)", mail_text(message)
        ):
            return match.group(1)
    raise AssertionError(path_start)


def mail_text(message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    return "".join(
        part.get_payload(decode=True).decode()
        for part in parts
        if part.get_content_type() == "text/plain"
    )


def test_no_line_of_a_whole_account_s_life_shows_a_secret(tmp_path):
    password, new_password = "Leak-Test-Pw-8842", "Leak-Test-New-5519"
    photo = multipart.File("me.jpg", "image/jpeg", image_factory.jpeg_bytes())
    with running_site(tmp_path, LOG_FORMAT="json") as site:
        visitor = Visitor(site.url)
        visitor.submit(
            "/register/",
            [
                ("username", "rosa"),
                ("email", "rosa@example.com"),
                ("password1", password),
                ("image", photo),
            ],
        )
        confirm = link_in_mail(site.inbox, "/accounts/confirm-email/")
        visitor.submit(confirm, [])
        visitor.submit("/accounts/logout/", [])
        visitor.submit("/accounts/password/reset/", [("email", "rosa@example.com")])
        reset = link_in_mail(site.inbox, "/accounts/password/reset/key/")
        set_password = visitor.request("GET", reset)
        done = visitor.submit(
            visitor.path,
            [("password1", new_password), ("password2", new_password)],
            page=set_password,
        )
        assert visitor.path == "/accounts/password/reset/key/done/", done
        visitor.submit(
            "/accounts/login/", [("login", "rosa"), ("password", new_password)]
        )
        assert "rosa" in visitor.request("GET", "/profile/")
    web, worker = (
        (tmp_path / "web.log").read_text(),
        (tmp_path / "worker.log").read_text(),
    )

    secrets = {
        "password": password,
        "new password": new_password,
        "confirmation key": confirm.split("/")[-2],
        "reset key": reset.split("/")[-2].split("-", 1)[1],
        **{f"session key {i}": key for i, key in enumerate(visitor.session_keys)},
    }
    assert len(visitor.session_keys) >= 2  # signed up, then logged in again
    for name, secret in secrets.items():
        assert secret not in web, name
        assert secret not in worker, name
    # Each line is one JSON object, and the links were logged (scrubbed).
    access = [line for line in parse(web) if line["logger"] == "gunicorn.access"]
    paths = {line["path"] for line in access}
    assert "/accounts/confirm-email/[redacted]/" in paths
    assert {line["status"] for line in access} <= {200, 302}
    assert all(line["request_id"] for line in access)
    assert any(line["user_id"] for line in access)
    assert parse(worker)
