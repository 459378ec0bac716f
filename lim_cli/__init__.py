"""The ``lim`` command line: bootstrap, admin and scripting."""
