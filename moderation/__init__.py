"""Reports and moderation: members report a person from their page, staff with
the `moderation.moderate` permission act on them in the admin, and every
action is kept in an audit log that outlives both accounts.

What it changes of a person it changes through its owners: the photo through
`avatars.state.remove_photo`, the page and the account through registration's
`Profile.hide`, `Profile.clear_text` and `User.suspend`.
"""
