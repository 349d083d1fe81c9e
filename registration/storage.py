import os
import tempfile

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole or not at all.

    Django writes straight into the final path, so a reader could see a
    half-written thumbnail. Here the bytes go to a temporary file in the same
    folder, which is then linked into place: a rename on the same file system.
    """

    def _save(self, name: str, content) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        if self.directory_permissions_mode is not None:
            os.chmod(directory, self.directory_permissions_mode)
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as temp_file:
                if hasattr(content, "temporary_file_path"):
                    with open(content.temporary_file_path(), "rb") as source:
                        while chunk := source.read(1024 * 1024):
                            temp_file.write(chunk)
                else:
                    for chunk in content.chunks():
                        temp_file.write(chunk)
            os.chmod(temp_path, self.file_permissions_mode or 0o644)
            while True:
                try:
                    # link() refuses to replace an existing file, unlike rename().
                    os.link(temp_path, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            os.unlink(temp_path)
        return str(name).replace("\\", "/")
