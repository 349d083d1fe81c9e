import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from avatars.models import Avatar

User = get_user_model()


@pytest.fixture
def queued(photo_jpeg, django_capture_on_commit_callbacks) -> Avatar:
    avatar = User.objects.create_user("kay", "kay@example.com", "x").avatar
    with django_capture_on_commit_callbacks(execute=True):
        avatar.image = SimpleUploadedFile("k.jpg", photo_jpeg)
        avatar.save()
    return avatar
