import errno
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
        if hasattr(content, "temporary_file_path"):
            # A large upload already sits whole in a temporary file: on the same
            # file system a hard link puts it in place without copying it.
            try:
                return self._link_into_place(name, content.temporary_file_path())
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as temp_file:
                for chunk in content.chunks():
                    temp_file.write(chunk)
            return self._link_into_place(name, temp_path)
        finally:
            os.unlink(temp_path)

    def _link_into_place(self, name: str, source: str) -> str:
        os.chmod(source, self.file_permissions_mode or 0o644)
        while True:
            try:
                # link() refuses to replace an existing file, unlike rename().
                os.link(source, self.path(name))
                return str(name).replace("\\", "/")
            except FileExistsError:
                name = self.get_available_name(name)
