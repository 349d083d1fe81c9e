"""Settings of the benchmark's servers: the site's own, plus one reference view
(bench.urls) that the site does not have."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
