"""The Discord adapter: discord.py events and interactions in, core replies out, no game rules.

`runner.serve(game, settings)` runs it. Modules shared by name with `bot.telegram` (same job):
`runner` (build and run the client), `adapter` (event and interaction handlers),
`translate` (Discord objects -> core values, admin check), `refusals` (checks before
download), `deliver` (core reply -> interaction responses and channel messages), `render`
(core reply -> embed, files, view), `busy` (busy channels' digest). Discord only: `slash`
(command tree), `components` (persistent buttons), `photo_handles` (fetching a photo again for
/tips). Tokens are masked in the logs by `bot.logs`.
"""
