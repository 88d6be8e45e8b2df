"""The Telegram adapter: PTB updates in, core replies out, no game rules.

`runner.serve(game, settings)` runs it. Modules shared by name with `bot.discord` (same job):
`runner` (build and run the application), `adapter` (update handlers), `translate` (Telegram
objects -> core values), `refusals` (checks before download), `deliver` (core reply -> Bot API
calls), `render` (core markup -> Telegram HTML), `busy` (busy groups' digest). Telegram only:
`answering` (chat actions, callback answers), `network` (retries, flood control), `reactions`
(reaction counts for the taste model), `webhook` (the webhook endpoint). Tokens are masked in
the logs by `bot.logs`.
"""
