"""A person's data to take with them: an archive prepared in the background,
private, for its owner alone, deleted after 24 hours (README: Download your
data)."""
