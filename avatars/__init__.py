"""The photo pipeline: a person's photo from the upload to its square thumbnails.

It knows the user model (settings.AUTH_USER_MODEL) and nothing of the app that
signs people up, of moderation or of exports; they use it through this surface alone
(avatars/tests/test_init.py holds them to it):

- `user.avatar`: the `avatars.models.Avatar` made with every user. Load it with
  the user (`select_related("avatar")`) wherever avatars are shown.
- `avatars.forms.AvatarField` and `avatars.forms.PhotoWithCropForm`: the upload,
  checked by its content, and the square chosen from it.
- `avatars.state.attach_photo(avatar, upload, crop)`: give the person that photo;
  its resize is queued once the transaction commits.
- `avatars.state.refresh(avatar)`: the avatar with a finished resize's outcome
  read in, before it is shown to its owner.
- `avatars.state.remove_photo(avatar, block=False)`: back to the initials at
  once, the files (the original too) deleted after the commit, and a resize
  still running for the photo left with nothing to claim. Moderation removes
  photos this way with `block=True`: the photo's hashes go on the blocklist
  and no copy of it is made into an avatar again.
- `avatars.models.BlockedPhoto` and `avatars.blocklist.lift(entries)`: the
  blocked photos, which moderation lists and lifts.
- `avatars.state.make_blank_avatars(user_ids)`: the avatars of users written in
  bulk (registration.seeding), where the signal that makes them does not fire.
- The status fragment: `{% include "avatars/status.html" %}` with
  `avatars.views.status_context(avatar)`; it polls the URL named
  `avatar-status` and offers `avatar-retry` and `avatar-remove` (which removes
  the photo) itself. `{% include "avatars/announcement.html" %}`, with the same
  context, outside anything re-rendered, is the live region that tells screen
  readers what the fragment's changes mean (the fragment updates it).
- `avatars.storage.photo_files(avatar)`: every file kept of the photo (each
  size of the square, and the original while it is kept), with its storage:
  what a person's data export takes.
- `avatars.pacing.poll_for_work(started_at)`: the status fragment's pace for
  other background work shown live (the export's status polls at it), with
  `{% include "avatars/_polling.html" %}` for its htmx attributes.
- `{% load avatars %}{% avatar person 96 %}`: anyone's avatar, at any size the
  site makes (avatars.images.DISPLAY_SIZES).
- For what was written before the pipeline had its own app: the photo task's
  old name (`avatars.tasks.resize_avatar`, `avatars.state.Outcome`) and the
  upload storage and naming of old migrations (`avatars.models.uploads_storage`,
  `avatars.models.original_upload_to`).

Its settings, each with its default, are in avatars/conf.py.
"""
