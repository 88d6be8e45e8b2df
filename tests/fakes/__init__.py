"""Local stand-ins for remote services the bots talk to, served from 127.0.0.1 in tests."""
