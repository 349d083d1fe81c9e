"""`make bench`: what users feel, measured against live servers, side by side with
the tutorial's synchronous way. Run it with `python -m bench` (see --help)."""
