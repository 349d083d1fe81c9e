import os
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Uploads spooled by a web process that was killed mid-request stay on disk; the
# web processes share this folder with no one (a platform's worker has its own).
from avatars.files import remove_stale_uploads  # noqa: E402

remove_stale_uploads(Path(settings.FILE_UPLOAD_TEMP_DIR))
