"""Clients that send their uploads slowly: the start of the body as fast as
the server reads it, then a few bytes a tick, at their own pace, until they go
away. They hold a web server's threads (or sync workers) as a slow phone link
does."""

import select
import socket
import threading
import time

# Django compares the form's token with the cookie's: one of the right form,
# sent in both, is valid, so the server reads the whole body.
CSRF_TOKEN = "a" * 32


def post_head(
    host: str, port: int, path: str, content_type: str, length: int, **headers: str
) -> bytes:
    """A POST's request line and headers, with the CSRF cookie and a referer."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        f"Cookie: csrftoken={CSRF_TOKEN}",
        f"Referer: http://{host}:{port}{path}",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Upload:
    def __init__(self, host: str, port: int, head: bytes, body: bytes, burst: int):
        self.data = memoryview(head + body)
        self.burst = len(head) + min(burst, len(body))
        self.allowed = self.burst
        self.sent = 0
        self.sock = socket.create_connection((host, port))
        self.sock.setblocking(False)
        self.open = True

    def send(self) -> None:
        try:
            self.sent += self.sock.send(self.data[self.sent : self.allowed])
        except BlockingIOError:
            pass
        except OSError:  # the server closed it (a sync worker killed on timeout)
            self.open = False


class SlowUploads:
    """Each request's head and the first `burst` bytes of its body as fast as
    the server takes them, then `trickle` bytes every `every` seconds, from one
    thread for all of them."""

    def __init__(
        self,
        host: str,
        port: int,
        requests: list[tuple[bytes, bytes]],
        burst: int,
        trickle: int = 100,
        every: float = 0.2,
    ) -> None:
        self.uploads = [
            _Upload(host, port, head, body, burst) for head, body in requests
        ]
        self.trickle, self.every = trickle, every
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        next_tick = time.monotonic() + self.every
        while not self.stopping.is_set():
            if time.monotonic() >= next_tick:
                for upload in self.uploads:
                    if upload.sent >= upload.burst:
                        upload.allowed = min(
                            len(upload.data), upload.allowed + self.trickle
                        )
                next_tick += self.every
            wanting = [u for u in self.uploads if u.open and u.sent < u.allowed]
            timeout = max(0.0, min(next_tick - time.monotonic(), 0.05))
            if not wanting:
                self.stopping.wait(timeout)  # the clients' own pace
                continue
            _, writable, _ = select.select([], [u.sock for u in wanting], [], timeout)
            for upload in wanting:
                if upload.sock in writable:
                    upload.send()

    def burst_bytes(self) -> int:
        """What the server has taken of the bursts so far."""
        return sum(min(u.sent, u.burst) for u in self.uploads)

    def sent_bytes(self) -> int:
        return sum(u.sent for u in self.uploads)

    def all_connected(self) -> bool:
        return self.thread.is_alive() and all(u.open for u in self.uploads)

    def go_away(self) -> None:
        self.stopping.set()
        self.thread.join()
        for upload in self.uploads:
            upload.sock.close()
