"""Synthetic inputs for the My Number linkage audit, with ground truth.

A resident registry (住基) with valid check digits, households and namesakes, and a business
system's records of (most of) the same people written the way real systems write them: widths,
kana forms, spaces, variant kanji, address forms and 和暦 dates. Some records carry injected
mistakes whose truth is written to ``truth.csv``:

- mis-links (the number is wrong): another resident's number, a household member's, a
  namesake's, a mistyped digit;
- benign changes (the number is right): a stale address, a surname change.

``python bench/audit_data.py OUT_DIR --registry 820000 --records 800000 [--encoding cp932]``
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# surname (kanji, kana, variant forms usable in CP932)
SURNAMES = [
    ("高橋", "タカハシ", "髙橋"),
    ("山崎", "ヤマザキ", "山﨑"),
    ("渡辺", "ワタナベ", "渡邊|渡邉"),
    ("斎藤", "サイトウ", "齋藤|齊藤"),
    ("浜田", "ハマダ", "濱田"),
    ("沢田", "サワダ", "澤田"),
    ("桜井", "サクライ", "櫻井"),
    ("広瀬", "ヒロセ", "廣瀬"),
    ("島田", "シマダ", "嶋田"),
    ("富田", "トミタ", "冨田"),
    ("佐藤", "サトウ", ""),
    ("鈴木", "スズキ", ""),
    ("田中", "タナカ", ""),
    ("伊藤", "イトウ", ""),
    ("中村", "ナカムラ", ""),
    ("小林", "コバヤシ", ""),
    ("加藤", "カトウ", ""),
    ("吉田", "ヨシダ", ""),
    ("山田", "ヤマダ", ""),
    ("佐々木", "ササキ", ""),
    ("山口", "ヤマグチ", ""),
    ("松本", "マツモト", ""),
    ("井上", "イノウエ", ""),
    ("木村", "キムラ", ""),
    ("林", "ハヤシ", ""),
    ("清水", "シミズ", ""),
    ("山本", "ヤマモト", ""),
    ("森", "モリ", ""),
    ("池田", "イケダ", ""),
    ("橋本", "ハシモト", ""),
    ("阿部", "アベ", ""),
    ("石川", "イシカワ", ""),
    ("前田", "マエダ", ""),
    ("藤田", "フジタ", ""),
    ("後藤", "ゴトウ", ""),
    ("岡田", "オカダ", ""),
    ("長谷川", "ハセガワ", ""),
    ("村上", "ムラカミ", ""),
    ("近藤", "コンドウ", ""),
    ("石井", "イシイ", ""),
    ("坂本", "サカモト", ""),
    ("遠藤", "エンドウ", ""),
    ("青木", "アオキ", ""),
    ("藤井", "フジイ", ""),
    ("西村", "ニシムラ", ""),
    ("福田", "フクダ", ""),
    ("太田", "オオタ", ""),
    ("三浦", "ミウラ", ""),
    ("岡本", "オカモト", ""),
    ("松田", "マツダ", ""),
    ("中川", "ナカガワ", ""),
    ("中野", "ナカノ", ""),
    ("原田", "ハラダ", ""),
    ("小野", "オノ", ""),
    ("田村", "タムラ", ""),
    ("竹内", "タケウチ", ""),
    ("金子", "カネコ", ""),
    ("和田", "ワダ", ""),
    ("中山", "ナカヤマ", ""),
    ("石田", "イシダ", ""),
    ("上田", "ウエダ", ""),
    ("森田", "モリタ", ""),
    ("原", "ハラ", ""),
    ("柴田", "シバタ", ""),
    ("酒井", "サカイ", ""),
    ("工藤", "クドウ", ""),
    ("横山", "ヨコヤマ", ""),
    ("宮崎", "ミヤザキ", "宮﨑"),
    ("宮本", "ミヤモト", ""),
    ("内田", "ウチダ", ""),
    ("高木", "タカギ", "髙木"),
    ("安藤", "アンドウ", ""),
    ("谷口", "タニグチ", ""),
    ("大野", "オオノ", ""),
    ("丸山", "マルヤマ", ""),
    ("今井", "イマイ", ""),
    ("河野", "コウノ", ""),
    ("藤原", "フジワラ", ""),
    ("小川", "オガワ", ""),
    ("村田", "ムラタ", ""),
    ("武田", "タケダ", ""),
    ("上野", "ウエノ", ""),
    ("杉山", "スギヤマ", ""),
    ("増田", "マスダ", ""),
    ("平野", "ヒラノ", ""),
    ("大塚", "オオツカ", ""),
    ("千葉", "チバ", ""),
    ("久保", "クボ", ""),
    ("松井", "マツイ", ""),
    ("小島", "コジマ", "小嶋"),
    ("岩崎", "イワサキ", "岩﨑"),
    ("野口", "ノグチ", ""),
]
GIVEN = {
    1: [
        ("太郎", "タロウ"),
        ("一郎", "イチロウ"),
        ("健", "ケン"),
        ("翔", "ショウ"),
        ("大輔", "ダイスケ"),
        ("誠", "マコト"),
        ("浩", "ヒロシ"),
        ("隆", "タカシ"),
        ("拓也", "タクヤ"),
        ("直樹", "ナオキ"),
        ("和也", "カズヤ"),
        ("健太", "ケンタ"),
        ("悠真", "ユウマ"),
        ("陽翔", "ハルト"),
        ("蓮", "レン"),
        ("大和", "ヤマト"),
        ("湊", "ミナト"),
        ("茂", "シゲル"),
        ("清", "キヨシ"),
        ("勇", "イサム"),
        ("修", "オサム"),
        ("実", "ミノル"),
        ("進", "ススム"),
        ("弘", "ヒロシ"),
        ("秀樹", "ヒデキ"),
        ("正人", "マサト"),
        ("康介", "コウスケ"),
        ("亮", "リョウ"),
        ("智也", "トモヤ"),
        ("雄一", "ユウイチ"),
    ],
    2: [
        ("花子", "ハナコ"),
        ("陽子", "ヨウコ"),
        ("恵子", "ケイコ"),
        ("美咲", "ミサキ"),
        ("さくら", "サクラ"),
        ("由美", "ユミ"),
        ("愛", "アイ"),
        ("結衣", "ユイ"),
        ("陽菜", "ヒナ"),
        ("優子", "ユウコ"),
        ("真由美", "マユミ"),
        ("久美子", "クミコ"),
        ("明美", "アケミ"),
        ("幸子", "サチコ"),
        ("京子", "キョウコ"),
        ("直美", "ナオミ"),
        ("彩", "アヤ"),
        ("舞", "マイ"),
        ("芽依", "メイ"),
        ("凛", "リン"),
        ("葵", "アオイ"),
        ("紬", "ツムギ"),
        ("和子", "カズコ"),
        ("節子", "セツコ"),
        ("千尋", "チヒロ"),
        ("麻衣", "マイ"),
        ("智子", "トモコ"),
        ("裕子", "ユウコ"),
        ("香織", "カオリ"),
        ("綾香", "アヤカ"),
    ],
}
WARDS = ["堺区", "中区", "東区", "西区", "南区", "北区", "美原区"]
TOWNS = [
    "南瓦町",
    "中百舌鳥町",
    "霞ヶ丘町",
    "百舌鳥赤畑町",
    "深井清水町",
    "鳳東町",
    "浜寺船尾町",
    "三国ヶ丘御幸通",
    "大美野",
    "北花田町",
    "新金岡町",
    "宮山台",
    "槇塚台",
    "赤坂台",
    "黒山",
    "平井",
    "菩提町",
    "津久野町",
    "宿院町東",
]
KANJI = "〇一二三四五六七八九"
_HIRA = {chr(k): chr(k - 0x60) for k in range(0x30A1, 0x30F7)}
_HALF = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォッャュョー",
        "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｯｬｭｮｰ",
        strict=True,
    )
)
_VOICED = dict(
    zip("ガギグゲゴザジズゼゾダヂヅデドバビブベボ", "カキクケコサシスセソタチツテトハヒフヘホ", strict=True)
)
_HALF_PS = dict(zip("パピプペポ", "ハヒフヘホ", strict=True))
_WEIGHTS = np.array([6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
_ERAS = [(1989, "平成", "H"), (1926, "昭和", "S"), (2019, "令和", "R")]

MISLINK_KINDS = ("other", "household", "namesake", "mistyped")


@dataclass(frozen=True)
class Rates:
    other: float = 0.003
    household: float = 0.003
    namesake: float = 0.002
    mistyped: float = 0.002
    stale_address: float = 0.01
    surname_change: float = 0.005


def check_digits(bases: np.ndarray) -> np.ndarray:
    """Check digits of an (n, 11) digit array."""
    remainder = (bases * _WEIGHTS).sum(axis=1) % 11
    return np.where(remainder <= 1, 0, 11 - remainder)


def _numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    values = np.unique(rng.integers(10**10, 10**11, size=int(n * 1.1)))
    rng.shuffle(values)
    values = values[:n]
    digits = (values[:, None] // 10 ** np.arange(10, -1, -1)) % 10
    return np.concatenate([digits, check_digits(digits)[:, None]], axis=1)


def _digits_text(row: np.ndarray) -> str:
    return "".join(map(str, row))


def _half_kana(text: str) -> str:
    out = []
    for ch in text:
        if ch in _VOICED:
            out.append(_HALF[_VOICED[ch]] + "ﾞ")
        elif ch in _HALF_PS:
            out.append(_HALF[_HALF_PS[ch]] + "ﾟ")
        else:
            out.append(_HALF.get(ch, ch))
    return "".join(out)


def _hiragana(text: str) -> str:
    return "".join(_HIRA.get(ch, ch) for ch in text)


def _wareki(year: int, month: int, day: int, style: int) -> str:
    start, era, letter = next((s, e, ltr) for s, e, ltr in sorted(_ERAS, reverse=True) if year >= s)
    n = year - (start - 1)
    if style == 0:
        return f"{era}{'元' if n == 1 else n}年{month}月{day}日"
    return f"{letter}{n}.{month}.{day}"


def _kanji_number(n: int) -> str:
    if n < 10:
        return KANJI[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else KANJI[tens]) + "十" + ("" if ones == 0 else KANJI[ones])


def generate(
    out: Path,
    registry_rows: int,
    record_rows: int,
    seed: int = 1,
    encoding: str = "utf-8",
    rates: Rates | None = None,
) -> dict[str, int]:
    """Write ``registry.csv``, ``records.csv`` and ``truth.csv`` to ``out``; return the injected counts."""
    rates = rates or Rates()
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n = registry_rows
    numbers = _numbers(rng, n)
    number_text = [_digits_text(r) for r in numbers]

    # households of 1-4 sharing surname and address
    sizes = rng.choice([1, 2, 3, 4], size=n, p=[0.35, 0.3, 0.2, 0.15])
    household = np.repeat(np.arange(n), sizes)[:n]
    n_households = int(household.max()) + 1
    h_surname = rng.integers(0, len(SURNAMES), size=n_households)
    h_ward = rng.integers(0, len(WARDS), size=n_households)
    h_town = rng.integers(0, len(TOWNS), size=n_households)
    h_chome = rng.integers(1, 9, size=n_households)
    h_ban = rng.integers(1, 40, size=n_households)
    h_go = rng.integers(1, 30, size=n_households)
    sex = rng.integers(1, 3, size=n)
    given_index = rng.integers(0, 30, size=n)
    birth_ord = rng.integers(
        np.datetime64("1930-01-01").astype(int), np.datetime64("2023-03-31").astype(int), size=n
    )
    births = np.array(birth_ord, dtype="datetime64[D]").astype(object)
    status_roll = rng.random(n)
    surname_of = h_surname[household]

    def address(h: int, chome: int | None = None, town: int | None = None) -> str:
        return (
            f"大阪府堺市{WARDS[h_ward[h]]}{TOWNS[h_town[h] if town is None else town]}"
            f"{h_chome[h] if chome is None else chome}丁目{h_ban[h]}番{h_go[h]}号"
        )

    reg_name, reg_kana, reg_addr = [], [], []
    for i in range(n):
        s_kanji, s_kana, _ = SURNAMES[surname_of[i]]
        g_kanji, g_kana = GIVEN[int(sex[i])][given_index[i]]
        reg_name.append(f"{s_kanji}\u3000{g_kanji}")
        reg_kana.append(f"{s_kana}\u3000{g_kana}")
        reg_addr.append(address(int(household[i])))
    registry = pl.DataFrame(
        {
            "個人番号": number_text,
            "氏名": reg_name,
            "氏名カナ": reg_kana,
            "生年月日": [b.isoformat() for b in births],
            "性別": ["男" if s == 1 else "女" for s in sex],
            "住所": reg_addr,
            "住民状態": np.where(
                status_roll < 0.01, "転出", np.where(status_roll < 0.015, "死亡", "住民")
            ).tolist(),
        }
    )

    # business records: distinct residents, alive and resident
    eligible = np.flatnonzero(status_roll >= 0.015)
    chosen = rng.choice(eligible, size=min(record_rows, eligible.size), replace=False)
    m = chosen.size
    roll = rng.random(m)
    bounds = np.cumsum(
        [
            rates.other,
            rates.household,
            rates.namesake,
            rates.mistyped,
            rates.stale_address,
            rates.surname_change,
        ]
    )
    kind_index = np.searchsorted(bounds, roll, side="right")
    kinds = np.array([*MISLINK_KINDS, "stale_address", "surname_change", "none"])[kind_index]
    style = rng.integers(0, 10, size=(m, 6))

    # namesake lookup: (surname, given, sex) -> residents
    name_key = surname_of * 1000 + given_index * 10 + sex
    order = np.argsort(name_key, kind="stable")
    sorted_keys = name_key[order]
    first_of_household = np.searchsorted(household, household, side="left")
    household_end = np.searchsorted(household, household, side="right")

    rec_id, rec_number, rec_name, rec_kana, rec_birth, rec_sex, rec_addr = [], [], [], [], [], [], []
    truth_kind, truth_row = [], []
    injected = {k: 0 for k in (*MISLINK_KINDS, "stale_address", "surname_change")}
    for j in range(m):
        i = int(chosen[j])
        kind = str(kinds[j])
        st = style[j]
        number = numbers[i].copy()
        if kind == "other":
            other = int(rng.integers(0, n))
            kind = kind if other != i else "none"
            number = numbers[other].copy()
        elif kind == "household":
            lo, hi = int(first_of_household[i]), int(household_end[i])
            members = [k for k in range(lo, hi) if k != i]
            if members:
                number = numbers[members[int(rng.integers(0, len(members)))]].copy()
            else:
                kind = "none"
        elif kind == "namesake":
            lo = np.searchsorted(sorted_keys, name_key[i], side="left")
            hi = np.searchsorted(sorted_keys, name_key[i], side="right")
            same = [
                int(order[k])
                for k in range(lo, min(hi, lo + 50))
                if int(order[k]) != i and births[int(order[k])] != births[i]
            ]
            if same:
                number = numbers[same[int(rng.integers(0, len(same)))]].copy()
            else:
                kind = "none"
        elif kind == "mistyped":
            position = int(rng.integers(0, 12))
            number[position] = (number[position] + int(rng.integers(1, 10))) % 10
        if kind in injected:
            injected[kind] += 1
        text = _digits_text(number)
        if st[0] == 7:
            text = f"{text[:4]} {text[4:8]} {text[8:]}"
        elif st[0] == 8:
            text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        elif st[0] == 9:
            text = f"{text[:4]}-{text[4:8]}-{text[8:]}"

        s_index = int(surname_of[i])
        if kind == "surname_change":
            s_index = (s_index + 1 + int(rng.integers(0, len(SURNAMES) - 1))) % len(SURNAMES)
        s_kanji, s_kana, s_variants = SURNAMES[s_index]
        if s_variants and st[1] < 4:
            options = s_variants.split("|")
            s_kanji = options[int(st[1]) % len(options)]
        g_kanji, g_kana = GIVEN[int(sex[i])][given_index[i]]
        sep = ("\u3000", " ", "", " ")[st[2] % 4]
        name = f"{s_kanji}{sep}{g_kanji}"
        kana_text = f"{s_kana}{' ' if st[3] < 7 else ''}{g_kana}"
        if st[3] in (1, 2):
            kana_text = _half_kana(kana_text)
        elif st[3] in (3, 4):
            kana_text = _hiragana(kana_text)

        b = births[i]
        birth = (
            b.isoformat(),
            f"{b.year}/{b.month:02d}/{b.day:02d}",
            _wareki(b.year, b.month, b.day, 0),
            _wareki(b.year, b.month, b.day, 1),
            f"{b.year}{b.month:02d}{b.day:02d}",
        )[st[4] % 5]

        h = int(household[i])
        chome, town = int(h_chome[h]), int(h_town[h])
        if kind == "stale_address":
            chome = chome % 8 + 1
            town = (town + 1) % len(TOWNS)
        town_text = TOWNS[town]
        if st[5] in (0, 1):
            town_text = town_text.replace("ヶ", "ケ")
        ward = WARDS[h_ward[h]]
        ban, go = int(h_ban[h]), int(h_go[h])
        address_text = (
            f"堺市{ward}{town_text}{chome}-{ban}-{go}",
            f"{ward}{town_text}{chome}－{ban}－{go}".translate(
                str.maketrans("0123456789", "０１２３４５６７８９")
            ),
            f"大阪府堺市{ward}{town_text}{_kanji_number(chome)}丁目{ban}番{go}号",
            f"大阪府堺市{ward}{town_text}{chome}丁目{ban}番地の{go}",
            f"大阪府堺市 {ward} {town_text}{chome}丁目{ban}番{go}号",
        )[int(st[5]) % 5]

        rec_id.append(f"A{j + 1:07d}")
        rec_number.append(text)
        rec_name.append(name)
        rec_kana.append(kana_text)
        rec_birth.append(birth)
        rec_sex.append(("男", "女")[int(sex[i]) - 1] if st[1] % 2 else str(int(sex[i])))
        rec_addr.append(address_text)
        truth_kind.append(kind)
        truth_row.append(i)
    records = pl.DataFrame(
        {
            "宛名番号": rec_id,
            "個人番号": rec_number,
            "氏名": rec_name,
            "カナ氏名": rec_kana,
            "生年月日": rec_birth,
            "性別": rec_sex,
            "住所": rec_addr,
        }
    )
    truth = pl.DataFrame({"record_id": rec_id, "kind": truth_kind, "reg_row": truth_row})
    _write(registry, out / "registry.csv", encoding)
    _write(records, out / "records.csv", encoding)
    truth.write_csv(out / "truth.csv")
    return injected


def _write(frame: pl.DataFrame, path: Path, encoding: str) -> None:
    if encoding.lower() in ("utf-8", "utf8"):
        frame.write_csv(path)
        return
    text = frame.write_csv()
    path.write_bytes(text.encode(encoding))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Synthetic registry and business records for the linkage audit."
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--registry", type=int, default=820_000)
    parser.add_argument("--records", type=int, default=800_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "cp932"])
    args = parser.parse_args(argv)
    injected = generate(args.out, args.registry, args.records, args.seed, args.encoding)
    print(f"registry {args.registry:,} rows, records {args.records:,} rows; injected: {injected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
