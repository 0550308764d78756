"""The private chat with one person: its commands, button presses and views."""
