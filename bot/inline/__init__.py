"""Inline mode: ``@<bot> heat`` in any chat offers film cards to post, each opening the bot on
its film (``t.me/<bot>?start=film_<id>``)."""
