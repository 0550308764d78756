"""The Telegram side of moviebot: settings, storage, callback data, handlers and app wiring."""
