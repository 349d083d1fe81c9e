import os
import time

from avatars.cleanup import remove_stale_uploads


def test_stale_spooled_uploads_are_removed_and_fresh_ones_kept(tmp_path):
    stale, fresh = tmp_path / "tmpold.upload.jpg", tmp_path / "tmpnew.upload.jpg"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    assert remove_stale_uploads(tmp_path) == 1

    assert not stale.exists() and fresh.exists()
