"""The game in nine languages: complete catalogues, real plural rules, per-language numbers and
dates, the rule that picks each reply's language, and replies and images in every language."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from PIL import Image

from bot.core import drawing
from bot.core.events import ChatRef
from bot.core.game import Game
from bot.core.i18n import (
    LANGUAGES,
    Translator,
    chat_language,
    new_chat_language,
    normalize,
    personal_language,
    placeholders,
    source_messages,
    supported_languages,
)
from bot.core.i18n.catalogues import SOURCE_PATH, po_path, read_catalog
from bot.core.i18n.languages import parse_accept_language
from bot.settings import Settings
from tests.conftest import SEED_MODEL, needs_shared
from tests.fakes.adapter import PLATFORM, FakeAdapter, FakeClock
from tests.paths import TEST_DATA

TRANSLATED = [code for code in supported_languages() if code != "en"]
MARKUP = re.compile(r"\*\*|`|<[^>]+>")


# --- the catalogues ---------------------------------------------------------------------------


def test_nine_languages_with_their_telegram_and_discord_codes() -> None:
    assert supported_languages() == ("de", "en", "es", "fr", "id", "it", "pt_BR", "ru", "tr")
    assert {language.telegram for language in LANGUAGES} == {
        "de", "en", "es", "fr", "id", "it", "pt", "ru", "tr",
    }  # fmt: skip
    assert all(len(language.telegram) == 2 for language in LANGUAGES)


def test_the_english_source_is_a_gettext_template_keyed_by_context() -> None:
    english = source_messages()
    assert len(english) > 250
    assert english["unit.days"].singular == "{count} day"
    assert english["unit.days"].plural == "{count} days"
    assert english["photo.no_face"].plural is None
    assert read_catalog(SOURCE_PATH).get("I don't know /{name}. Try /help.", "unknown_command")


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_sentence_is_translated_with_the_same_placeholders(code: str) -> None:
    """Fails for a key missing in a language, a translation whose English changed since (fuzzy
    or a different msgid), a lost or invented `{placeholder}` or lost markup."""
    catalog = read_catalog(po_path(code), code)
    problems: list[str] = []
    for key, source in source_messages().items():
        entry = catalog.get(source.singular, key)
        if entry is None or entry.fuzzy:
            problems.append(f"{key}: not translated for this English")
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        english = source.plural or source.singular
        for form in forms:
            if not form:
                problems.append(f"{key}: empty")
            elif placeholders(form) != placeholders(english):
                problems.append(f"{key}: placeholders {placeholders(form)}")
            elif len(MARKUP.findall(form)) != len(MARKUP.findall(english)):
                problems.append(f"{key}: markup differs")
    obsolete = {m.context for m in catalog if m.id} - set(source_messages())
    problems += [f"{key}: no longer in the English source" for key in sorted(obsolete)]
    assert problems == [], f"{code}: see bot/core/i18n/README.md"


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_rules_are_babels_for_the_language(code: str) -> None:
    catalog = read_catalog(po_path(code), code)
    rule = get_plural(code)
    assert (catalog.num_plurals, catalog.plural_expr) == (rule.num_plurals, rule.plural_expr)
    for message in catalog:
        if isinstance(message.id, tuple) and message.id[0]:
            assert len(message.string) == rule.num_plurals, message.context


def test_russian_counts_take_one_few_and_many_forms() -> None:
    t = Translator("ru")
    assert [t.plural("unit.days", n) for n in (1, 2, 5, 21)] == [
        "1 день",
        "2 дня",
        "5 дней",
        "21 день",
    ]
    assert [t.plural("top.players", n) for n in (1, 2, 5, 21, 11, 0)] == [
        "1 игрок",
        "2 игрока",
        "5 игроков",
        "21 игрок",
        "11 игроков",
        "0 игроков",
    ]
    assert t.plural("card.gain", 3, signed="+3") == "+3 балла"


def test_other_languages_count_their_own_way() -> None:
    assert Translator("fr").plural("unit.photos", 0) == "0 photo", "French: 0 is singular"
    assert Translator("pt_BR").plural("unit.days", 1) == "1 dia"
    assert Translator("de").plural("unit.days", 2) == "2 Tage"
    assert Translator("tr").plural("unit.days", 5) == "5 gün", "Turkish: no plural after numbers"
    assert Translator("en").plural("unit.days", 1) == "1 day"


def test_numbers_and_dates_follow_the_language() -> None:
    moment = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    assert Translator("en").number(1234.5) == "1,234.5"
    assert Translator("de").number(1234.5) == "1.234,5"
    assert Translator("ru").number(1234.5) == "1\xa0234,5"
    assert Translator("en").moment(moment) == "Mon, Nov 30 14:05"
    assert Translator("ru").moment(moment) == "пн, 30 нояб. 14:05"
    assert Translator("fr").moment(moment) == "lun. 30 nov. 14:05"
    assert Translator("de").day(date(2026, 11, 30)) == "30.11.2026"
    spanish = Translator("es")("top.ends", when=moment)
    assert spanish == "La temporada termina el lun, 30 nov 14:05 UTC."
    average = Translator("it").plural("me.scores", 2, best=80, average=71.25)
    assert "media 71,2" in average


def test_an_untranslated_key_reads_in_english_never_as_a_key() -> None:
    assert Translator("xx").language == "en"
    assert Translator("ru").template("top.line") == "{medal}{rank}. {name} · **{score}**"
    with pytest.raises(KeyError):
        Translator("ru")("no.such.key")


# --- which language each reply speaks --------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "code"),
    [
        ("pt-BR", "pt_BR"),
        ("pt-br", "pt_BR"),
        ("PT_br", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("es-419", "es"),
        ("es-ES", "es"),
        ("en-US", "en"),
        ("ru", "ru"),
        ("de-CH", "de"),
        ("fr-CA", "fr"),
        ("in", "id"),
        ("de_DE.UTF-8", "de"),
        ("zh-CN", None),
        ("", None),
        (None, None),
    ],
)
def test_platform_hints_map_to_the_catalogue(hint: str | None, code: str | None) -> None:
    assert normalize(hint) == code


def test_one_rule_for_personal_replies_group_posts_and_new_chats() -> None:
    assert personal_language("ru", "de") == "ru", "the sender's own language first"
    assert personal_language(None, "de") == "de", "else the chat's"
    assert personal_language("zh-CN", "xx") == "en", "else English"
    assert chat_language("pt_BR") == "pt_BR" and chat_language("xx") == "en"
    assert new_chat_language("de", "ru", False, "en") == "de", "a server's preferred locale"
    assert new_chat_language(None, "ru", True, "en") == "ru", "a private chat: its person"
    assert new_chat_language(None, "ru", False, "es") == "es", "a group: the configured default"


def test_accept_language_is_read_in_order_of_preference() -> None:
    header = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
    assert parse_accept_language(header) == ["fr-CH", "fr", "en", "de"]
    assert parse_accept_language("de;q=0.5, ru") == ["ru", "de"]
    assert parse_accept_language("es;q=0, it") == ["it"]
    assert parse_accept_language(None) == []


# --- letters on the images ----------------------------------------------------------------------


def test_card_fonts_draw_every_languages_letters() -> None:
    """Every word the images draw, in every language, has its glyphs in the cards' font."""
    assert drawing.font(20).path.endswith("DejaVuSans.ttf"), "install fonts-dejavu-core"
    keys = [key for key in source_messages() if key.startswith(("card.", "emotion.", "verdict."))]
    keys += ["top.title.week", "top.title.all", "badge.most_improved.name"]
    for code in supported_languages():
        t = Translator(code)
        words = "".join(t.template(key) for key in keys)
        for bold in (False, True):
            assert drawing.missing_glyphs(drawing.font(20, bold=bold), words) == set(), code


def test_long_labels_shrink_before_they_are_cut() -> None:
    canvas = Image.new("RGB", (400, 60))
    draw = drawing.ImageDraw.Draw(canvas)
    text = "Henüz sıralamada değil"
    full = drawing.text_width(draw, text, drawing.font(20))
    shrunk = drawing.fitted_font(draw, text, 20, full - 20)
    assert shrunk.size < 20 and drawing.text_width(draw, text, shrunk) <= full - 20
    assert drawing.label(draw, (0, 0), text, 20, 60) <= 60, "past 70%: cut with an ellipsis"


# --- replies and images in every language, on the real game ------------------------------------


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        popularity_model=SEED_MODEL,
        streak_reminders=False,
        **changes,
    )


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory):
    from inference import Analyzer

    settings = _settings(tmp_path_factory.mktemp("i18n-models"))
    with Analyzer.from_config(settings.analyzer_config()) as loaded:
        yield loaded


@pytest.fixture
async def bot(analyzer, tmp_path: Path) -> AsyncIterator[FakeAdapter]:
    clock = FakeClock()
    game = await Game.open(_settings(tmp_path), analyzer, clock=clock)
    yield FakeAdapter(game, clock=clock, admins={"boss"})
    await game.close()


SELFIE = (TEST_DATA / "astronaut.jpg").read_bytes()


@needs_shared
@pytest.mark.parametrize("code", supported_languages())
async def test_a_scored_photo_answers_in_the_senders_language(bot: FakeAdapter, code: str) -> None:
    hint = {"pt_BR": "pt-br", "es": "es-419"}.get(code, code)
    bot.languages["ana"] = hint
    chat = ChatRef(PLATFORM, f"chat-{code}", "Group")
    (result,) = await bot.photo("ana", SELFIE, chat=chat)
    t = Translator(code)
    score = result.reply.data["score"]
    assert result.text.startswith("**Ana**") and f"**{score}/100**" in result.text
    assert t(f"verdict.{3 - drawing.verdict_band(score)}") in result.text
    assert t.template("photo.expression").split("{")[0] in result.text
    (card,) = result.reply.attachments
    assert card.description == t("photo.card_description", score=score)
    image = Image.open(io.BytesIO(card.data))
    assert image.format == "PNG" and image.width == 1000
    assert result.reply.buttons[0].label == t("button.tips")


@needs_shared
async def test_group_posts_speak_the_chats_language_and_people_their_own(bot: FakeAdapter) -> None:
    bot.languages.update({"ivan": "ru", "boss": "en"})
    await bot.command("ivan", "/top")
    assert bot.pop().text.startswith("🏆 **Leaderboard · season 1**"), "the group's: English"
    await bot.command("boss", "/language pt-BR")
    assert bot.pop().text == "Idioma alterado para pt_BR (Português (Brasil))."
    await bot.command("ivan", "/top week")
    board = bot.pop()
    assert board.text.startswith("🏆 **Ranking · esta semana**")
    (image,) = board.reply.attachments
    assert image.description == "Ranking · esta semana"
    await bot.command("ivan", "/me")
    assert bot.pop().text.startswith("👤 **Ivan** в этом чате"), "personal: Ivan's Russian"
    await bot.command("ivan", "/duel @boss", mentions=("boss",))
    challenge = bot.pop()
    assert "desafia" in challenge.text, "a duel is the chat's news"
    await bot.command("ivan", "/settings")
    assert "Язык: pt_BR (Português (Brasil))" in bot.pop().text


@needs_shared
async def test_new_chats_start_in_their_platforms_language(bot: FakeAdapter) -> None:
    server = ChatRef(PLATFORM, "server-channel", "Server #selfies", language="de")
    await bot.command("ann", "/top", chat=server)
    assert bot.pop().text.startswith("🏆 **Rangliste · Saison 1**")
    bot.languages["zoe"] = "fr-FR"
    private = ChatRef(PLATFORM, "dm-zoe", None, is_private=True)
    await bot.command("zoe", "/top", chat=private)
    assert bot.pop().text.startswith("🏆 **Classement · saison 1**")
    group = ChatRef(PLATFORM, "plain-group", "Group")
    await bot.command("zoe", "/top", chat=group)
    assert bot.pop().text.startswith("🏆 **Leaderboard"), "a group without hint: the default"


@needs_shared
async def test_the_default_language_setting_applies_to_new_groups(analyzer, tmp_path: Path) -> None:
    game = await Game.open(_settings(tmp_path, default_language="tr"), analyzer)
    try:
        bot = FakeAdapter(game)
        await bot.command("ann", "/top")
        assert bot.pop().text.startswith("🏆 **Sıralama · 1. sezon**")
    finally:
        await game.close()
