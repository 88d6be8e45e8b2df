"""The fake Discord: REST API, gateway and CDN on 127.0.0.1 (server), its per-channel limits,
one guild with its people (people), and the logged-in real client with a scripted game
(harness)."""
