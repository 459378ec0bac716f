"""The lim server: gateways, services, storage and the HTTP API."""
