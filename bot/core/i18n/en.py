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
        "• /top, /me, /settings, /privacy, /forgetme, /export.\n"
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
    "button.period.week": "📅 This week",
    "button.period.season": "🏆 This season",
    "button.period.all": "🏛️ All time",
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
        "photo from {when} UTC (score {score}). Only new photos count; send a fresh one!"
    ),
    "photo.duplicate_own": (
        "You already scored this photo in this chat this season ({when} UTC, score {score}). "
        "Only new photos count; send a fresh one!"
    ),
    "photo.duplicate_gone": "This photo was already scored in this chat this season. Only new "
    "photos count; send a fresh one!",
    "photo.unreadable": "That file isn't a photo I can read.",
    "photo.rate_limited": (
        "Easy there! In this chat you can send {photos} every {minutes}. "
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
    "unit.photos.one": "{count} photo",
    "unit.photos.other": "{count} photos",
    "unit.minutes.one": "{count} minute",
    "unit.minutes.other": "{count} minutes",
    "unit.days.one": "{count} day",
    "unit.days.other": "{count} days",
    "duration.hours": "{h} h {m} min",
    "duration.seconds": "{n} s",
    # --- reply images (bot/core/cards.py) ---------------------------------------------
    "card.you": "You",
    "card.popularity": "Popularity score",
    "card.not_ranked": "Not ranked yet",
    "card.in_chat": "in this chat",
    "card.rank_same": "unchanged",
    "card.expression": "Expression",
    "card.no_face": "No face found",
    "card.new_badge": "New badge",
    "card.board_empty": "No scores yet: send a selfie to open the board",
    "card.gain.one": "{signed} point",
    "card.gain.other": "{signed} points",
    "card.before": "Before",
    "card.after": "After",
    # --- leaderboards -------------------------------------------------------------------
    "top.title.week": "Leaderboard · this week",
    "top.title.season": "Leaderboard · season {number}",
    "top.title.all": "Leaderboard · all time",
    "top.line": "{medal}{rank}. {name} · **{score}**",
    "top.you": "You: #{rank} {name} · **{score}**",
    "top.not_ranked": "You have no score in this period yet: send a selfie!",
    "top.empty": "No scores yet. Send a selfie to open the board!",
    "top.usage": "Usage: /top [week|season|all|taste]",
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
    "badges.awarded": "New badge for {person}: {icon} **{name}** · {rule}",
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
        "I don't have a recent photo of yours (tips work on photos from the last "
        "{minutes} only). Send a selfie and ask again."
    ),
    # reliability (issue 12): the last photo is fetched again from its platform by handle
    "tips.photo_unavailable": (
        "I couldn't fetch your last photo from the chat again (was it deleted?). "
        "Send a selfie and ask again."
    ),
    "tips.title": "💡 **Tips for your last photo** (score {score})",
    # --- tips: suggestions (bot/core/tips.py words the engine inference/tips.py) -------
    "tips.line.edit": "• {text}: **+{gain}** → {score}",
    "tips.line.advice": "• {text} (about **+{gain}**)",
    "tips.line.advice_plain": "• {text}",
    "tips.nothing": (
        "Nothing believable raises this photo's score by 2 points or more: no edit that still "
        "looks like a real photo of you, and no advice I measured. It's fine as it is."
    ),
    "tips.no_edit": (
        "No believable edit raises this score by 2 points or more, so there's no edited photo "
        "this time."
    ),
    "tips.image_description": "Best believable edit: score {score}/100",
    "tips.edit_text": "Edited photo: {steps}",
    "tips.step.crop": "cropped to frame your face",
    "tips.step.exposure.up": "exposure +{percent}%",
    "tips.step.exposure.down": "exposure -{percent}%",
    "tips.step.brightness.up": "brighter mid-tones",
    "tips.step.brightness.down": "darker mid-tones",
    "tips.step.contrast.up": "contrast +{percent}%",
    "tips.step.contrast.down": "contrast -{percent}%",
    "tips.step.saturation.up": "colour +{percent}%",
    "tips.step.saturation.down": "colour -{percent}%",
    "tips.step.warmth.up": "warmer",
    "tips.step.warmth.down": "cooler",
    "tips.step.sharpen": "a little sharper",
    "tips.advice.smile": "Smile: smiling selfies score higher",
    "tips.advice.light.dark": "Your face is in shadow: face a window or a lamp",
    "tips.advice.light.bright": "Your face is washed out: move out of direct light",
    "tips.advice.framing.small": (
        "Your face fills only {percent}% of the photo: hold the phone closer"
    ),
    "tips.advice.framing.large": (
        "Your face fills {percent}% of the photo: hold the phone a little further away"
    ),
    "tips.advice.framing.off_centre": "Keep your face in the middle of the photo",
    "tips.advice.tilt": "Your head is tilted by {degrees}°: hold it level",
    "tips.advice.no_face": (
        "I couldn't find a face: face the camera with your whole face visible and well lit"
    ),
    # --- privacy ------------------------------------------------------------------------
    "privacy.text": (
        "🔒 **Privacy**\n"
        "Stored: your platform id and display name, and for each photo its scores, "
        "expression readings, photo quality measures, a SHA-256 and a perceptual hash "
        "(to spot duplicates), plus badges, duels and reactions. Kept until you delete "
        "them with /forgetme.\n"
        "Never stored: your photos. They are analysed in memory on this machine and never "
        "written to disk; for {minutes} I keep only the chat's reference to your last photo, "
        "so /tips can fetch it again from the chat.\n"
        "/export sends you everything stored about you."
    ),
    "forget.confirm": (
        "This deletes all your scores, badges, duels and reactions in every chat, for good. "
        "Are you sure?"
    ),
    "forget.done.one": "Done: {count} record about you was deleted everywhere. Bye for now!",
    "forget.done.other": "Done: {count} records about you were deleted everywhere. Bye for now!",
    "forget.cancelled": "Nothing was deleted.",
    "forget.not_yours": "Only the person who asked can confirm this.",
    "export.text": "Here is everything stored about you, as JSON.",
    "export.description": "Your selfiebot data",
    # --- group taste (bot/core/flows/taste.py) ------------------------------------------
    "help.taste": (
        "• /whatworks: what this chat's reactions reward. After {needed} rated photos each "
        "result also shows this group's taste, and `/top taste` ranks by it. In groups I only "
        "see reactions when I'm an admin."
    ),
    "privacy.taste": (
        "For this group's taste (/whatworks), each photo scored in a group also keeps a short "
        "list of numbers describing it (expression, smile, head angle, face size and position, "
        "light, colour, sharpness, and three numbers from the scoring model), how many people "
        "could have reacted and who reacted with what. /forgetme deletes them with your scores."
    ),
    "taste.result": "This group's taste: **{score}/100**",
    "taste.whatworks.title.one": "🎯 **What works here**, from {count} rated photo:",
    "taste.whatworks.title.other": "🎯 **What works here**, from {count} rated photos:",
    "taste.whatworks.trait": "• {trait} get about {percent}% more reactions here ({certainty}).",
    "taste.whatworks.nothing": (
        "Nothing stands out yet: reactions here follow no trait more than chance would. "
        "Keep reacting to the photos you like!"
    ),
    "taste.whatworks.not_enough": (
        "Not enough to go on yet: I learn this chat's taste from reactions to scored photos "
        "and need {needed} rated photos; there are {count}. React to the photos you like! "
        "(In groups I only see reactions when I'm an admin.)"
    ),
    "taste.certainty.sure": "sure",
    "taste.certainty.fairly": "fairly sure",
    "taste.certainty.hint": "only a hint so far",
    "taste.top.title": "Leaderboard · this group's taste, season {number}",
    "taste.top.not_enough": (
        "The taste board opens after {needed} rated photos in this chat; there are {count}. "
        "React to the photos you like!"
    ),
    "taste.trait.global.up": "Photos the global score rates high",
    "taste.trait.global.down": "Photos the global score rates low",
    "taste.trait.face_size.up": "Close-ups",
    "taste.trait.face_size.down": "Photos with more background",
    "taste.trait.off_centre.up": "Off-centre faces",
    "taste.trait.off_centre.down": "Centred faces",
    "taste.trait.smile.up": "Wide smiles",
    "taste.trait.smile.down": "Closed-mouth, subtle smiles",
    "taste.trait.happy.up": "Happy faces",
    "taste.trait.happy.down": "Serious faces",
    "taste.trait.surprise.up": "Surprised faces",
    "taste.trait.surprise.down": "Unsurprised, calm faces",
    "taste.trait.sad.up": "Moody, sad looks",
    "taste.trait.sad.down": "Faces without a trace of sadness",
    "taste.trait.neutral.up": "Neutral expressions",
    "taste.trait.neutral.down": "Expressive faces",
    "taste.trait.angry.up": "Fierce looks",
    "taste.trait.angry.down": "Friendly looks",
    "taste.trait.roll.up": "Tilted heads",
    "taste.trait.roll.down": "Level heads",
    "taste.trait.yaw.up": "Faces turned to the side",
    "taste.trait.yaw.down": "Faces turned to the camera",
    "taste.trait.mouth_open.up": "Open mouths",
    "taste.trait.mouth_open.down": "Closed mouths",
    "taste.trait.brightness.up": "Bright photos",
    "taste.trait.brightness.down": "Darker photos",
    "taste.trait.contrast.up": "Punchy, high-contrast photos",
    "taste.trait.contrast.down": "Soft, low-contrast photos",
    "taste.trait.saturation.up": "Colourful photos",
    "taste.trait.saturation.down": "Muted colours",
    "taste.trait.sharpness.up": "Sharp photos",
    "taste.trait.sharpness.down": "Softer, less sharp photos",
    "taste.trait.faces.up": "Group photos",
    "taste.trait.faces.down": "Solo selfies",
    # --- admin and settings -------------------------------------------------------------
    "admin.refused": "Only chat admins can use /{name}.",
    "admin.season_length": "Seasons now last {days} (from the next season on).",
    "admin.season_length_usage": "Usage: /seasonlength DAYS (1 to {max}).",
    "admin.rate_limit": "Rate limit set: {photos} per {minutes} per person.",
    "admin.rate_limit_usage": "Usage: /ratelimit PHOTOS MINUTES (for example /ratelimit 10 10).",
    "admin.language": "Language set to {language}.",
    "admin.language_usage": "Usage: /language CODE. Available: {languages}.",
    "admin.duels_on": "Duels are on.",
    "admin.duels_off": "Duels are off.",
    "admin.duels_usage": "Usage: /duels on|off",
    "settings.text": (
        "⚙️ **Settings of this chat**\n"
        "Season length: {season_days} (season {number} ends {when} UTC)\n"
        "Rate limit: {photos} per {minutes}\n"
        "Language: {language}\n"
        "Duels: {duels}\n"
        "Scoring every photo: {auto_score}"
    ),
    "settings.on": "on",
    "settings.off": "off",
    "admin.autoscore_on": "Every photo posted here is scored now.",
    "admin.autoscore_off": "Only photos sent with {rate_command} are scored here now.",
    "admin.autoscore_usage": "Usage: /autoscore on|off",
    # --- the web page (bot/web/) --------------------------------------------------------
    "web.description": "Score your selfie on-device: popularity, expressions, tips that raise "
    "the score, and a leaderboard.",
    "web.skip": "Skip to content",
    "web.language": "Language",
    "web.tagline": "How popular would your selfie be?",
    "web.footer": "Photos are scored in memory on this server and never stored; only scores "
    "are kept.",
    "web.api_link": "JSON API",
    "web.play_title": "Score a selfie",
    "web.unavailable": "Scoring is unavailable.",
    "web.nickname": "Your nickname",
    "web.nickname_help": "Shown on the web leaderboard; this browser remembers it.",
    "web.drop": "Drop a selfie here",
    "web.or": "or",
    "web.choose": "Choose a selfie",
    "web.camera": "Take a selfie",
    "web.formats": "JPEG, PNG, WebP, GIF or HEIC, up to {limit}.",
    "web.preview_alt": "The photo you picked",
    "web.submit": "Score my selfie",
    "web.news_title": "News from the board",
    "web.result_title": "Your score: {score}/100",
    "web.photo_alt": "Your photo",
    "web.photo_alt_faces.one": "Your photo, with {count} face outlined",
    "web.photo_alt_faces.other": "Your photo, with {count} faces outlined",
    "web.faces_caption.one": "{count} face found; each box shows the face and its strongest "
    "expression.",
    "web.faces_caption.other": "{count} faces found; each box shows the face and its strongest "
    "expression.",
    "web.gauge_label": "Score {score} out of 100",
    "web.download_card": "Download the result card",
    "web.expressions": "Expressions",
    "web.face_mostly": "Face {number}: mostly",
    "web.quality": "Photo quality",
    "web.quality.brightness": "Brightness",
    "web.quality.contrast": "Contrast",
    "web.quality.saturation": "Colour",
    "web.quality.face_area_ratio": "Face size",
    "web.sharpness": "Sharpness:",
    "web.sharpness.crisp": "crisp",
    "web.sharpness.fairly_sharp": "fairly sharp",
    "web.sharpness.soft": "a bit soft",
    "web.sharpness.blurry": "blurry",
    "web.tips_title": "Tips that raise your score",
    "web.tips_pending": "Trying edits on your photo and re-scoring each one…",
    "web.improved_alt": "Your photo with the best edits applied, scoring {score}",
    "web.improved": "Improved photo:",
    "web.was": "(was {score})",
    "web.download": "Download",
    "web.board_title": "Web leaderboard",
    "web.board_nav": "Leaderboard period",
    "web.period.week": "This week",
    "web.period.season": "This season",
    "web.period.all": "All time",
    "web.col_player": "Player",
    "web.col_score": "Score",
    "web.you_tag": "(you)",
    "web.board_empty": "No scores yet: be the first on the board.",
    "web.visitor": "Visitor",
    "web.guest": "Guest {number}",
    "web.nickname.empty": "Pick a nickname of at least one character.",
    "web.nickname.too_long": "Pick a nickname of at most {max} characters.",
    "web.nickname.control": "A nickname cannot contain control characters.",
    "web.already_scored": "This upload was already scored: pick a new photo to play again.",
    "web.tips_shown": "These tips were already shown.",
    "web.pick_first": "Choose a selfie first.",
    "web.tips_no_key": "The tips request has no valid `key`.",
    "web.no_problem_type": "There is no problem type called “{slug}”.",
    "web.http_status": "HTTP status",
    "web.back": "Back to the page",
    "web.too_many_parts": "The form has more than {parts} parts.",
    "web.field_too_long": "A text field of the form is too long.",
    "web.photo_too_large": "The photo is larger than the {limit} this server accepts.",
    "web.not_multipart": "Send the photo as multipart/form-data (an HTML form with a file field).",
    "web.no_boundary": "The multipart body has no boundary.",
    "web.malformed": "The multipart body is malformed.",
    "web.js.not_photo": "“{name}” is not a photo. Choose a JPEG, PNG, WebP, GIF or HEIC file.",
    "web.js.empty": "“{name}” is an empty file. Choose another photo.",
    "web.js.ready": "Ready: {name} ({size} MB)",
    "web.js.tips_failed": "The tips could not be loaded: check your connection and send the "
    "photo again.",
    "web.js.uploading": "Uploading…",
    "web.js.scoring": "Scoring your selfie…",
    "web.js.server_status": "The server answered {status}. Try again.",
    "web.js.upload_failed": "The upload failed: check your connection and try again.",
    "web.problem.bad-photo.title": "The photo could not be read",
    "web.problem.bad-photo.explanation": "The file is empty, truncated, corrupt, or has more "
    "pixels than the server accepts. Send a JPEG, PNG, WebP, GIF or HEIC photo.",
    "web.problem.bad-request.title": "The request could not be understood",
    "web.problem.bad-request.explanation": "The upload is not a well-formed multipart/form-data "
    "body.",
    "web.problem.photo-too-large.title": "The photo is too large",
    "web.problem.photo-too-large.explanation": "The file is bigger than the upload limit "
    "(SELFIEBOT_MAX_UPLOAD_BYTES). Send a smaller photo.",
    "web.problem.unsupported-type.title": "This kind of file is not supported",
    "web.problem.unsupported-type.explanation": "Only photos are accepted (JPEG, PNG, WebP, GIF, "
    "HEIC), sent as multipart/form-data.",
    "web.problem.missing-photo.title": "No photo was sent",
    "web.problem.missing-photo.explanation": "Send the photo as a multipart/form-data file field "
    "named `photo`.",
    "web.problem.invalid-input.title": "The request has invalid fields",
    "web.problem.invalid-input.explanation": "A parameter is missing or malformed; `errors` "
    "lists which.",
    "web.problem.rate-limited.title": "Too many photos",
    "web.problem.rate-limited.explanation": "The game counts a limited number of photos per "
    "player in a time window.",
    "web.problem.model-missing.title": "The popularity model is not installed",
    "web.problem.model-missing.explanation": "The server has no popularity model yet. Its "
    "operator runs `selfiebot models fetch` (or `selfiebot models import PATH`).",
    "web.problem.internal-error.title": "Something went wrong on the server",
    "web.problem.internal-error.explanation": "An unexpected error happened; it has been logged. "
    "Try again in a moment.",
    "web.problem.not-found.title": "Not found",
    "web.problem.not-found.explanation": "There is nothing at this address.",
    "web.problem.method-not-allowed.title": "Method not allowed",
    "web.problem.method-not-allowed.explanation": "This address does not accept this HTTP method.",
    # --- web page: result URLs and cross-site protection (bot/web/results.py, security.py) ---
    "web.problem.result-gone.title": "This result is no longer here",
    "web.problem.result-gone.explanation": "A result page is kept for 30 minutes, only for the "
    "browser that sent the photo and only by the server process that scored it. Your score is "
    "on the leaderboard all the same.",
    "web.problem.cross-site.title": "Request from another site refused",
    "web.problem.cross-site.explanation": "Forms that change something here must be sent from "
    "this site's own pages.",
    "web.cross_site": "This form was sent from another website, so nothing was done. Open the "
    "page itself and try again.",
    # --- uploads refused by adapters before download -----------------------------------
    "telegram.group_privacy": (
        "**Group admins:** to let me see every photo, not only those sent with /rate, make me an "
        "admin of the group (my owner can instead turn off privacy mode in @BotFather: "
        "/setprivacy → Disable, then remove me and add me again). Reactions on my results count "
        "only where I am an admin."
    ),
    "telegram.rate_own_photo": (
        "Only the person who sent a photo can have it rated: reply /rate to your own photo."
    ),
    "telegram.send_a_selfie": "Send me a selfie to get it scored, or /help to see what I can do.",
    "telegram.sent_privately": "📬 I sent you the answer in a private message.",
    "telegram.button_expired": "This button no longer works.",
    "upload.not_image": "**{filename}** isn't a picture. Send a photo (JPEG, PNG, WebP or HEIC).",
    "upload.too_large": "**{filename}** is too big ({size_mb} MB); the limit is {limit_mb} MB.",
    "upload.download_failed": "I couldn't download **{filename}**. Please send it again.",
    "upload.missing": "Attach a photo to score.",
    # --- errors -------------------------------------------------------------------------
    "error.internal": "Something went wrong on my side; nothing was counted. Please try again.",
    "error.generic": "Something went wrong on my side. Please try again in a minute.",
    # --- platform menus: command descriptions (Telegram setMyCommands, Discord slash) -------
    "command.start": "What this bot does and how to play",
    "command.help": "How to play, commands and tips",
    "command.rate": "Score the photo this is attached to or replies to",
    "command.top": "Leaderboard of this chat [week|season|all|taste]",
    "command.whatworks": "What this chat's reactions reward, learned from its photos",
    "command.me": "Your stats, streak, badges and rank",
    "command.tips": "Edits that measurably raise your last photo's score",
    "command.duel": "Challenge @someone: both send a photo, higher score wins",
    "command.badges": "All badges and how to earn them",
    "command.privacy": "What is stored and for how long",
    "command.forgetme": "Delete all your data everywhere",
    "command.export": "Get all your data as a JSON file",
    "command.settings": "Show this chat's settings",
    "command.resetseason": "Admin: end this season now and start a new one",
    "command.seasonlength": "Admin: season length in days (DAYS)",
    "command.ratelimit": "Admin: photos per person per window (PHOTOS MINUTES)",
    "command.language": "Admin: language of this chat's posts (CODE)",
    "command.duels": "Admin: turn duels on or off (on|off)",
    "command.autoscore": "Admin: score every photo posted here, without a command (on|off)",
    "discord.score": "Score a selfie: attach the photo",
    "discord.option.photo": "The selfie to score (JPEG, PNG, WebP or HEIC)",
    "discord.option.window": "Which leaderboard (default: this season)",
    "discord.option.opponent": "Who you challenge",
    "discord.option.days": "Season length in days",
    "discord.option.photos": "Photos allowed per window",
    "discord.option.minutes": "Window length in minutes",
    "discord.option.code": "Language of the bot's posts in this channel",
    "discord.option.duels": "on or off",
    "discord.option.autoscore": "on: score every photo posted in this channel",
}
