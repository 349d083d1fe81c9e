from pathlib import Path

from django.core.files.storage import storages

BASE_DIR = Path(__file__).resolve().parents[2]


def procfile_command(process: str) -> str:
    """The command of one Procfile line: tests run processes as deployed."""
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            return line.partition(":")[2].strip()
    raise LookupError(f"the Procfile has no {process}: line")


def stored_names(alias: str, folder: str) -> list[str]:
    """The files in a folder of a storage, local disk or object store alike."""
    try:
        return storages[alias].listdir(folder)[1]
    except FileNotFoundError:  # local disk, nothing saved there yet
        return []
