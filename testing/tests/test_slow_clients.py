"""Slow uploads against a plain socket server: the burst at once, then the
trickle at the clients' own pace, and gone when told."""

import socket
import threading

from testing.slow_clients import CSRF_TOKEN, SlowUploads, post_head


class Receiver:
    """Accepts connections and counts what each sends, until it closes."""

    def __init__(self, count: int) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = [0] * count
        self.closed = [threading.Event() for _ in range(count)]
        self.changed = threading.Condition()
        threading.Thread(target=self.accept, args=(count,), daemon=True).start()

    def accept(self, count: int) -> None:
        for number in range(count):
            connection, _ = self.server.accept()
            threading.Thread(
                target=self.read, args=(connection, number), daemon=True
            ).start()

    def read(self, connection: socket.socket, number: int) -> None:
        with connection:
            while data := connection.recv(65536):
                with self.changed:
                    self.received[number] += len(data)
                    self.changed.notify_all()
        self.closed[number].set()

    def wait_for(self, predicate, timeout: float = 30) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), self.received


def test_post_head_carries_the_csrf_cookie_and_extra_headers():
    head = post_head("127.0.0.1", 8000, "/register/", "text/plain", 12, X_Real_IP="1")

    assert head.startswith(b"POST /register/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert f"Cookie: csrftoken={CSRF_TOKEN}\r\n".encode() in head
    assert b"Content-Length: 12\r\n" in head and b"X-Real-IP: 1\r\n" in head
    assert head.endswith(b"\r\n\r\n")


def test_the_burst_arrives_then_the_rest_trickles_until_they_go_away():
    receiver = Receiver(3)
    head, body = b"HEAD\r\n\r\n", bytes(100_000)
    clients = SlowUploads(
        "127.0.0.1",
        receiver.port,
        [(head, body)] * 3,
        burst=50_000,
        trickle=10,
        every=0.01,
    )
    burst = len(head) + 50_000
    try:
        receiver.wait_for(lambda: all(n >= burst for n in receiver.received))
        receiver.wait_for(lambda: all(n >= burst + 50 for n in receiver.received))
        # Still sending, a few bytes at a time: the body is far from complete.
        assert all(n < burst + 20_000 for n in receiver.received)
        assert clients.all_connected()
        assert clients.burst_bytes() == 3 * burst
    finally:
        clients.go_away()
    for closed in receiver.closed:
        assert closed.wait(30)
    assert not clients.all_connected()
