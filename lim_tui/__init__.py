"""``lim chat``: the Textual chat client over :mod:`lim_client`."""
