"""The operations of every service, and the HTTP API that serves them.

:mod:`.operations` holds the one registry of operations; the HTTP app
(:mod:`.http`) and the socket's API_REQUEST both dispatch through it.
"""
