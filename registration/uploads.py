import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """Stands in for a file that passed the size limit while it streamed in.

    It holds no data; `size` is how many bytes the client sent, so the form can
    say how large the file was.
    """

    too_large = True

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(io.BytesIO(), name, content_type, size)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops keeping an uploaded file once it passes AVATAR_MAX_UPLOAD_BYTES.

    Django writes uploads to disk before any form sees them, and
    DATA_UPLOAD_MAX_MEMORY_SIZE does not count files. Placed first among the
    upload handlers, this one withholds every chunk past the limit from the
    handlers behind it, so at most the limit is ever buffered, and hands the
    form an OversizedUpload instead of the file.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.AVATAR_MAX_UPLOAD_BYTES:
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > settings.AVATAR_MAX_UPLOAD_BYTES:
            return OversizedUpload(self.file_name, self.content_type, self.received)
        return None
