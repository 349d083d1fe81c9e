"""Running the site's processes as deployed: the Procfile's lines, free ports."""

import socket
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def procfile_command(process: str) -> str:
    """The command of one Procfile line: tests run processes as deployed."""
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            return line.partition(":")[2].strip()
    raise LookupError(f"the Procfile has no {process}: line")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
