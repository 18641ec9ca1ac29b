import pytest

from bot.programmes import PROGRAMMES
from services.kernel.programmes import is_menu_request, match_programme

INFOS = [p.info for p in PROGRAMMES]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("マイナンバー", "mynumber"),
        ("マイナンバー総点検の状況", "mynumber"),
        ("ｵﾝﾗｲﾝ化", "online_procedures"),
        ("オンライン化　進捗", "online_procedures"),
        ("キャッシュレス", "cashless"),
        ("標準化", "standardization"),
        ("DX", "dx"),
        ("ｄｘ研修", "dx"),
        ("dx pro", "dx"),
        ("リテラシー", "literacy"),
        ("デジタルデバイド", "digital_divide"),
        ("デジタル・ディバイド対策", "digital_divide"),
        ("スマホ教室", "digital_divide"),
        ("スマホ教室はいつ？", "digital_divide"),
        ("今日の スマホ教室", "digital_divide"),
    ],
)
def test_keywords_open_their_programme(text, key):
    assert match_programme(text, INFOS) == key


@pytest.mark.parametrize("text", ["こんにちは", "ABCDX", "", "おはようございます"])
def test_other_text_matches_nothing(text):
    assert match_programme(text, INFOS) is None


def test_result_does_not_depend_on_registry_order():
    for text in ["マイナンバー総点検", "デジタル・ディバイド対策", "DX研修", "スマホ教室"]:
        assert match_programme(text, INFOS) == match_programme(text, list(reversed(INFOS)))


@pytest.mark.parametrize("text", ["メニュー", "ヘルプ", "help", "HELP", "ﾍﾙﾌﾟ", " menu "])
def test_menu_words(text):
    assert is_menu_request(text)


def test_every_programme_key_is_registered_once():
    keys = [p.key for p in INFOS]
    assert keys == [
        "mynumber",
        "online_procedures",
        "cashless",
        "standardization",
        "dx",
        "literacy",
        "digital_divide",
    ]
