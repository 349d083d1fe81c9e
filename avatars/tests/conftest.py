import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registration.models import Profile, User


@pytest.fixture
def queued(photo_jpeg, django_capture_on_commit_callbacks) -> Profile:
    profile = User.objects.create_user("kay", "kay@example.com", "x").profile
    with django_capture_on_commit_callbacks(execute=True):
        profile.image = SimpleUploadedFile("k.jpg", photo_jpeg)
        profile.save()
    return profile
