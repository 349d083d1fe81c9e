from django.core.files.storage import storages


def stored_names(alias: str, folder: str) -> list[str]:
    """The files in a folder of a storage, local disk or object store alike."""
    try:
        return storages[alias].listdir(folder)[1]
    except FileNotFoundError:  # local disk, nothing saved there yet
        return []
