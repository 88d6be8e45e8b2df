"""English, the reference language: every key the game uses must be here."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- help ---------------------------------------------------------------------------
    "help.text": (
        "📸 **Selfie game**\n"
        "Send a selfie and I score it from 0 to 100 with an on-device model, read your "
        "expression and rank you in this chat.\n"
        "• Best score per person wins the week and the season ({season_days}-day seasons here).\n"
        "• Post every day to build a streak, collect badges (/badges), challenge a friend "
        "with `/duel @name`.\n"
        "• /tips shows edits that really raise your last photo's score.\n"
        "• /top, /me, /privacy, /forgetme, /export.\n"
        "Where I don't see every photo (group privacy mode, or a chat without /autoscore), "
        "send it with `{rate_command}` (in the caption, or as a reply to the photo)."
    ),
    "help.admin": "Admins: /resetseason, /seasonlength DAYS, /ratelimit PHOTOS MINUTES, "
    "/language CODE, /duels on|off, /autoscore on|off.",
    "unknown_command": "I don't know /{name}. Try /help.",
    # --- buttons ------------------------------------------------------------------------
    "button.tips": "💡 Tips",
    "button.top": "🏆 Leaderboard",
    "button.me": "👤 Me",
    "button.forget_confirm": "Yes, delete everything",
    "button.forget_cancel": "Cancel",
    "button.duel_accept": "⚔️ Accept",
    "button.duel_decline": "Decline",
    # --- photo --------------------------------------------------------------------------
    "photo.scored": "**{name}**: **{score}/100** · {verdict}",
    "photo.expression": "Expression: {emoji} {emotion} ({percent}%)",
    "photo.faces": "{count} faces found; the largest one is read.",
    "photo.rank": "Rank in this chat this season: **#{rank}** of {players} {movement}",
    "photo.personal_best": "New personal best! (was {previous})",
    "photo.new_badge": "New badge: {icon} **{name}** · {rule}",
    "photo.duel_counted": "⚔️ This photo counts for your duel with {other}.",
    "photo.card_description": "Result card: score {score}/100",
    "photo.no_face": (
        "I couldn't find a face in this photo, so it doesn't count. Send a selfie where "
        "your face is clearly visible, facing the camera and in good light."
    ),
    "photo.rate_needs_photo": "Send {rate_command} with a photo attached, or as a reply to a "
    "photo.",
    "photo.duplicate": (
        "This photo looks like one already scored in this chat this season: {name}'s "
        "photo from {when} (score {score}). Only new photos count; send a fresh one!"
    ),
    "photo.duplicate_gone": "This photo was already scored in this chat this season. Only new "
    "photos count; send a fresh one!",
    "photo.unreadable": "That file isn't a photo I can read.",
    "photo.rate_limited": (
        "Easy there! In this chat you can send {photos} photos every {minutes} minutes. "
        "Try again in {wait} (at {at} UTC)."
    ),
    "movement.new": "(new on the board)",
    "movement.up": "(▲ up from #{previous})",
    "movement.down": "(▼ down from #{previous})",
    "movement.same": "(unchanged)",
    "verdict.0": "Keep trying",
    "verdict.1": "Not bad",
    "verdict.2": "Great shot",
    "verdict.3": "Superstar",
    "emotion.angry": "angry",
    "emotion.disgust": "disgusted",
    "emotion.fear": "scared",
    "emotion.happy": "happy",
    "emotion.sad": "sad",
    "emotion.surprise": "surprised",
    "emotion.neutral": "neutral",
    "duration.minutes": "{n} min",
    "duration.hours": "{h} h {m} min",
    "duration.seconds": "{n} s",
    # --- leaderboards -------------------------------------------------------------------
    "top.title.week": "Leaderboard · this week",
    "top.title.season": "Leaderboard · season {number}",
    "top.title.all": "Leaderboard · all time",
    "top.line": "{medal}{rank}. {name} · **{score}**",
    "top.you": "You: #{rank} {name} · **{score}**",
    "top.not_ranked": "You have no score in this period yet: send a selfie!",
    "top.empty": "No scores yet. Send a selfie to open the board!",
    "top.usage": "Usage: /top [week|season|all]",
    "top.players.one": "{count} player",
    "top.players.other": "{count} players",
    "top.ends": "Season ends {when} UTC.",
    # --- me -----------------------------------------------------------------------------
    "me.title": "👤 **{name}** in this chat",
    "me.none": "No scored photos yet. Send a selfie to start!",
    "me.scores.one": "Best **{best}** · average {average} · {count} photo",
    "me.scores.other": "Best **{best}** · average {average} · {count} photos",
    "me.rank": "Season rank: #{rank} of {players}",
    "me.no_rank": "Not on this season's board yet.",
    "me.streak.one": "Streak: {count} day (longest {longest})",
    "me.streak.other": "Streak: {count} days (longest {longest})",
    "me.duels": "Duel rating: {rating} ({wins} W / {losses} L / {draws} D)",
    "me.badges": "Badges: {badges}",
    "me.no_badges": "No badges yet: see /badges.",
    # --- badges -------------------------------------------------------------------------
    "badges.title": "🎖️ **Badges**",
    "badges.line": "{icon} **{name}**: {rule}",
    "badge.first_selfie.name": "First selfie",
    "badge.first_selfie.rule": "score your first photo in this chat",
    "badge.score_80.name": "Hot shot",
    "badge.score_80.rule": "score 80 or more",
    "badge.score_90.name": "Diamond",
    "badge.score_90.rule": "score 90 or more",
    "badge.streak_3.name": "Three in a row",
    "badge.streak_3.rule": "post a scored photo 3 days in a row",
    "badge.streak_7.name": "Week warrior",
    "badge.streak_7.rule": "post a scored photo 7 days in a row",
    "badge.best_smile.name": "Best smile",
    "badge.best_smile.rule": "a smile read as happy with 90% confidence or more",
    "badge.poker_face.name": "Poker face",
    "badge.poker_face.rule": "a face read as neutral with 90% confidence or more",
    "badge.level_up.name": "Level up",
    "badge.level_up.rule": "beat your previous best by 10 points or more",
    "badge.squad.name": "Squad",
    "badge.squad.rule": "a scored photo with 3 or more faces",
    "badge.regular.name": "Regular",
    "badge.regular.rule": "10 scored photos in this chat",
    "badge.chat_leader.name": "Top of the chat",
    "badge.chat_leader.rule": "reach #1 on the season board with 3 or more players",
    "badge.most_improved.name": "Most improved",
    "badge.most_improved.rule": "biggest rise of your best score in a week",
    "badge.season_winner.name": "Season champion",
    "badge.season_winner.rule": "finish a season at #1",
    "badge.duel_winner.name": "Duellist",
    "badge.duel_winner.rule": "win a duel",
    # --- seasons, streaks, weekly awards ------------------------------------------------
    "season.results": "🏁 **Season {number} is over!**",
    "season.winner": "🏆 Champion: **{name}** with **{score}**. Congratulations!",
    "season.no_winner": "Nobody scored a photo this season.",
    "season.next": "Season {number} starts now and ends {when} UTC. Good luck!",
    "season.reset": "Season {number} was ended by an admin.",
    "week.most_improved": "🚀 Most improved this week: **{name}**, best up {gain} points "
    "(from {before} to {after}).",
    "streak.reminder": "🔥 {names}: your streak ends at midnight UTC. Send a selfie today "
    "to keep it!",
    # --- duels --------------------------------------------------------------------------
    "duel.challenge": (
        "⚔️ **{challenger}** challenges **{opponent}** to a duel! Each side's next photo "
        "within {hours} h counts; the higher score wins. {opponent}, accept?"
    ),
    "duel.usage": "Usage: /duel @someone (mention the person you want to challenge).",
    "duel.unknown": "I don't know {name} in this chat yet: they need to have written here first.",
    "duel.self": "You can't duel yourself. Pick someone else!",
    "duel.disabled": "Duels are turned off in this chat.",
    "duel.bot": "That one can't take a selfie. Pick a person!",
    "duel.busy": "{name} already has an open duel in this chat. Finish it first.",
    "duel.not_yours": "Only {name} can answer this challenge.",
    "duel.gone": "This challenge is no longer open.",
    "duel.accepted": (
        "⚔️ Duel on: **{challenger}** vs **{opponent}**! Send your next photo within "
        "{hours} h (until {until} UTC)."
    ),
    "duel.declined": "{opponent} declined the duel with {challenger}.",
    "duel.waiting": "Waiting for {other}'s photo.",
    "duel.result": (
        "⚔️ **Duel result**: {challenger} **{challenger_score}** vs {opponent} **{opponent_score}**"
    ),
    "duel.winner": "🏆 {name} wins! Ratings: {ratings}",
    "duel.draw": "It's a draw! Ratings: {ratings}",
    "duel.rating_change": "{name} {before} → {after}",
    "duel.expired": "⌛ The duel between {challenger} and {opponent} expired.",
    "duel.forfeit": "⌛ Time's up: {name} wins the duel because {other} sent no photo. "
    "Ratings: {ratings}",
    # --- tips ---------------------------------------------------------------------------
    "tips.none_cached": (
        "I don't have a recent photo of yours (photos are kept in memory for "
        "{minutes} minutes only). Send a selfie and ask again."
    ),
    "tips.title": "💡 **Tips for your last photo** (score {score})",
    "tips.edit": "• {edit}: **+{gain}** → {new_score}",
    "tips.no_edit": "None of my edits raised the score: this photo is already at its best.",
    "tips.best": "Best edited version scores **{best_score}** (shown).",
    "tips.observations": "What I noticed:",
    "tips.observation": "• {text}",
    "tips.image_description": "Best edited photo: score {score}/100",
    # --- privacy ------------------------------------------------------------------------
    "privacy.text": (
        "🔒 **Privacy**\n"
        "Stored: your platform id and display name, and for each photo its scores, "
        "expression readings, photo quality measures, a SHA-256 and a perceptual hash "
        "(to spot duplicates), plus badges, duels and reactions. Kept until you delete "
        "them with /forgetme.\n"
        "Never stored: your photos. They are analysed in memory on this machine; your "
        "last photo stays in memory only for {minutes} minutes so /tips can work, and is "
        "never written to disk.\n"
        "/export sends you everything stored about you."
    ),
    "forget.confirm": (
        "This deletes all your scores, badges, duels and reactions in every chat, for good. "
        "Are you sure?"
    ),
    "forget.done": "Done: {total} records about you were deleted everywhere. Bye for now!",
    "forget.cancelled": "Nothing was deleted.",
    "forget.not_yours": "Only the person who asked can confirm this.",
    "export.text": "Here is everything stored about you, as JSON.",
    "export.description": "Your selfiebot data",
    # --- admin and settings -------------------------------------------------------------
    "admin.refused": "Only chat admins can use /{name}.",
    "admin.season_length": "Seasons now last {days} days (from the next season on).",
    "admin.season_length_usage": "Usage: /seasonlength DAYS (1 to {max}).",
    "admin.rate_limit": "Rate limit set: {photos} photos per {minutes} minutes per person.",
    "admin.rate_limit_usage": "Usage: /ratelimit PHOTOS MINUTES (for example /ratelimit 10 10).",
    "admin.language": "Language set to {language}.",
    "admin.language_usage": "Usage: /language CODE. Available: {languages}.",
    "admin.duels_on": "Duels are on.",
    "admin.duels_off": "Duels are off.",
    "admin.duels_usage": "Usage: /duels on|off",
    "settings.text": (
        "⚙️ **Settings of this chat**\n"
        "Season length: {season_days} days (season {number} ends {when} UTC)\n"
        "Rate limit: {photos} photos per {minutes} minutes\n"
        "Language: {language}\n"
        "Duels: {duels}\n"
        "Scoring every photo: {auto_score}"
    ),
    "settings.on": "on",
    "settings.off": "off",
    "admin.autoscore_on": "Every photo posted here is scored now.",
    "admin.autoscore_off": "Only photos sent with {rate_command} are scored here now.",
    "admin.autoscore_usage": "Usage: /autoscore on|off",
    # --- uploads refused by adapters before download -----------------------------------
    "upload.not_image": "**{filename}** isn't a picture. Send a photo (JPEG, PNG, WebP or HEIC).",
    "upload.too_large": "**{filename}** is too big ({size_mb} MB); the limit is {limit_mb} MB.",
    "upload.download_failed": "I couldn't download **{filename}**. Please send it again.",
    "upload.missing": "Attach a photo to score.",
    # --- errors -------------------------------------------------------------------------
    "error.internal": "Something went wrong on my side; nothing was counted. Please try again.",
    "error.generic": "Something went wrong on my side. Please try again in a minute.",
}
