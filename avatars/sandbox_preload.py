"""What the forkserver imports before it forks any decoding child (named by
sandbox.py): Pillow, and one tiny photo's thumbnails, so that no child pays the
decoders' first-use costs. Nothing else imports this module."""

from avatars import sandbox

sandbox.warm_up()
