"""The Discord adapter: discord.py events and interactions in, core replies out, no game rules.

`runner.serve(game, settings)` runs it; `runner.build_client` builds the client. Modules:
`client` (event handlers), `slash` (command tree), `delivery` (interaction/message sending),
`render` (Reply -> embed, files, view), `components` (persistent buttons), `convert` (Discord
objects -> core values, admin check), `attachments` (checks before download), `photo_handles`
(fetching a photo again for /tips). Tokens are masked in the logs by `bot.logs`.
"""
