"""Thin PTB handlers: parse the update, call the chat layer, send what it returns."""
