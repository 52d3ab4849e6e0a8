"""Chinese company and place names for the synthetic economy, and their real-world variants.

Real sources spell the same company differently: full-width or half-width brackets and
spaces, 有限公司 or 有限责任公司, a former name. The variants drawn here are exactly the
kinds the name normaliser of the linkage step must undo (trade_measures.md §0.5), plus a
small share of genuinely different names that only the zip + phone pass can link.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "INDUSTRY_WORDS",
    "INTERMEDIARY_WORDS",
    "SUFFIXES",
    "random_words",
    "spelling_variant",
    "unique_brands",
]

_CHARS = (
    "华安宏昌盛源鑫泰达隆兴丰恒远通德新金银海天益祥瑞嘉和信永宝富明星光辉龙凤建国中"
    "东南西北正大方圆力美佳利康强胜旺发荣创锦博文志诚友联合众鼎辰晨宇航骏翔腾飞云"
    "峰林森江河湖山川石玉晶亿万千百顺吉祥乐欣亮杰豪雄伟宁静清雅俊秀立本恒久"
)

SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "实业有限公司", "集团有限公司")

#: words for an industry in a company name, by CIC 2-digit group
INDUSTRY_WORDS: dict[str, str] = {
    "13": "食品加工",
    "14": "食品",
    "15": "饮料",
    "16": "烟草",
    "17": "纺织",
    "18": "服饰",
    "19": "皮革",
    "20": "木业",
    "21": "家具",
    "22": "纸业",
    "23": "印刷",
    "24": "文体用品",
    "25": "石化",
    "26": "化工",
    "27": "制药",
    "28": "化纤",
    "29": "橡胶",
    "30": "塑料",
    "31": "建材",
    "32": "钢铁",
    "33": "有色金属",
    "34": "五金",
    "35": "机械",
    "36": "设备",
    "37": "汽车配件",
    "39": "电器",
    "40": "电子",
    "41": "仪器",
    "42": "工艺品",
    "43": "再生资源",
}

INTERMEDIARY_WORDS = ("进出口", "贸易", "经贸", "科贸", "外经")


def random_words(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` random strings of ``length`` characters from a pool of name characters."""
    pool = np.array(list(_CHARS))
    picks = pool[rng.integers(0, len(pool), size=(n, length))]
    return np.array(["".join(row) for row in picks])


def unique_brands(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct brand words: 2 characters while the pool allows, else 3."""
    length = 2 if n < 0.2 * len(_CHARS) ** 2 else 3
    out: dict[str, None] = {}
    while len(out) < n:
        for word in random_words(rng, 2 * (n - len(out)) + 16, length):
            out.setdefault(word, None)
            if len(out) == n:
                break
    return np.array(list(out))


_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", " ": "\u3000"})


def spelling_variant(rng: np.random.Generator, name: str) -> str:
    """The same company as another source may write it: spaces, full-width characters or a
    different form of the legal suffix. Normalisation maps it back to ``name``'s form."""
    kind = rng.integers(0, 3)
    if kind == 0:
        cut = int(rng.integers(1, max(2, len(name) - 4)))
        return name[:cut] + " " + name[cut:]
    if kind == 1:
        for plain, other in (("有限责任公司", "有限公司"), ("有限公司", "有限责任公司")):
            if name.endswith(plain):
                return name[: -len(plain)] + other
        return name + " "
    return ("(" + name[:2] + ")" + name[2:]).translate(_HALF_TO_FULL)
