"""The terminal front end: `selfiebot play` drives the real game from a shell, no platform.

Like `bot.telegram` and `bot.discord` it only builds core events and prints core replies;
`play.run(settings, player, items, out)` is its runner. Photos are files, buttons are printed
as the command line that presses them, and announcements due for the `cli` platform are
printed after the inputs of one invocation.
"""
