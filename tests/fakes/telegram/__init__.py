"""A local Telegram Bot API emulator and simulated users for end-to-end tests of bot/telegram."""
