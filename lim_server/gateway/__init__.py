"""Gateways: WebSocket and TCP listeners over one transport-free session.

:mod:`.sessions` holds everything a connection does once bytes are frames;
:mod:`.tcp` and :mod:`.websocket` only move bytes. :mod:`.commands` maps
command codes to service calls.
"""
