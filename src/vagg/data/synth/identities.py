"""How each firm appears in customs and on the platform: codes, spellings, zip and phone.

The CIE and customs share no firm identifier (before 2015), so the linkage step matches by
normalised name, then by zip code + the last seven digits of the phone (Yu 2015). The
synthetic spellings make that step do real work: most customs names are the CIE name or a
spelling variant of it; some firms declare under a former name (only zip + phone links
them), and local phone numbers gain an eighth digit from 2006 for some firms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.synth.names import INTERMEDIARY_WORDS, spelling_variant, unique_brands

__all__ = [
    "contact_details",
    "customs_identity",
    "customs_phone",
    "make_intermediaries",
    "platform_members",
]


def contact_details(
    rng: np.random.Generator, city_idx: np.ndarray, cities: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Six-digit zip codes and 'area-local' phone numbers (area code by city)."""
    n = len(city_idx)
    codes = cities["city_code"].to_numpy()[city_idx]
    prov = np.array([int(c[:2]) for c in codes])
    serial = np.array([int(c[2:4]) for c in codes])
    zips = np.array(
        [
            f"{(p * 7) % 90 + 10:02d}{s:02d}{z:02d}"
            for p, s, z in zip(prov, serial, rng.integers(0, 100, n), strict=True)
        ]
    )
    area = np.array(
        [f"0{(p * 37 + s * 11) % 900 + 100}" for p, s in zip(prov, serial, strict=True)]
    )
    local = rng.integers(2_000_000, 9_999_999, n)
    phones = np.array([f"{a}-{num}" for a, num in zip(area, local, strict=True)])
    return zips, phones


def customs_identity(
    rng: np.random.Generator, firms: pd.DataFrame, cities: pd.DataFrame
) -> pd.DataFrame:
    """Per firm: 10-character customs code, the name it declares under, and whether its
    phone gains an eighth digit from 2006."""
    n = len(firms)
    city_codes = cities["city_code"].to_numpy()[firms["city_idx"].to_numpy()]
    serial = rng.choice(900_000, size=n, replace=False) + 100_000
    kind = rng.choice(4, size=n, p=(0.62, 0.25, 0.08, 0.05))
    party = np.array([f"{c[:4]}{s:06d}" for c, s in zip(city_codes, serial, strict=True)])
    # party codes must be unique across firms (serials are unique, so they are)
    names = firms["firm_name"].to_numpy().copy()
    former = unique_brands(rng, n)
    for i in np.flatnonzero(kind == 1):
        names[i] = spelling_variant(rng, names[i])
    for i in np.flatnonzero(kind == 2):
        base = names[i]
        names[i] = base[:2] + former[i] + base[2 + len(former[i]) :] if len(base) > 6 else base
    return pd.DataFrame(
        {
            "firm": firms["firm"].to_numpy(),
            "party_id": party,
            "customs_name": names,
            "name_kind": np.array(["exact", "variant", "former", "exact"])[kind],
            "phone_upgrade": rng.random(n) < 0.3,
        }
    )


def customs_phone(phone: np.ndarray, upgrade: np.ndarray, year: int) -> np.ndarray:
    """Customs writes phones without the dash; upgraded local numbers gain a leading 8."""
    out = np.char.replace(phone.astype(str), "-", "")
    if year >= 2006:
        area = np.char.partition(phone.astype(str), "-")
        upgraded = np.char.add(np.char.add(area[:, 0], "8"), area[:, 2])
        out = np.where(upgrade, upgraded, out)
    return out


def make_intermediaries(
    rng: np.random.Generator, n: int, cities: pd.DataFrame, city_weight: np.ndarray
) -> pd.DataFrame:
    """Pure trading firms, identified in the data only by words such as 进出口 in their names."""
    city_idx = rng.choice(len(cities), n, p=city_weight / city_weight.sum())
    prefix = cities["name_zh"].str.replace("市", "", regex=False).to_numpy()[city_idx]
    brands = unique_brands(rng, n)
    words = np.array(INTERMEDIARY_WORDS)[rng.integers(0, len(INTERMEDIARY_WORDS), n)]
    names = np.array([f"{p}{b}{w}有限公司" for p, b, w in zip(prefix, brands, words, strict=True)])
    codes = cities["city_code"].to_numpy()[city_idx]
    serial = rng.choice(9_000, size=n, replace=False) + 1_000
    zips, phones = contact_details(rng, city_idx, cities)
    return pd.DataFrame(
        {
            "party_id": [f"{c[:4]}T{s:04d}0" for c, s in zip(codes, serial, strict=True)],
            "firm_name": names,
            "city_idx": city_idx,
            "zip": zips,
            "phone": np.char.replace(phones.astype(str), "-", ""),
        }
    )


def platform_members(
    rng: np.random.Generator,
    firms: pd.DataFrame,
    industries: pd.DataFrame,
    provinces: pd.DataFrame,
    cities: pd.DataFrame,
    n_outsiders: int,
    last_year: int,
) -> pd.DataFrame:
    """The platform's member list: every adopting firm (names mostly as registered, some
    spelling variants, about 1% renamed beyond recognition) and many members that are not
    industrial firms (traders, shops) and must not match. Column ``firm`` holds the true firm
    of each listed member (missing for outsiders); it is not part of the published table."""
    adopters = firms[firms["adoption_year"] <= last_year]
    names = adopters["firm_name"].to_numpy().copy()
    kind = rng.choice(3, size=len(names), p=(0.75, 0.24, 0.01))
    renamed = unique_brands(rng, len(names) + n_outsiders)
    for i in np.flatnonzero(kind == 1):
        names[i] = spelling_variant(rng, names[i])
    for i in np.flatnonzero(kind == 2):
        names[i] = renamed[i] + "网络科技有限公司"
    cic2 = industries["cic2"].to_numpy()[adopters["ind_idx"].to_numpy()]
    prov_of_city = cities["province_code"].to_numpy()[adopters["city_idx"].to_numpy()]
    prov_name = provinces.set_index("province_code")["name_zh"]
    members = pd.DataFrame(
        {
            "member_name": names,
            "member_since": adopters["adoption_year"].to_numpy(),
            "category": [f"工业品/{c}" for c in cic2],
            "province_zh": prov_name.reindex(prov_of_city).to_numpy(),
        }
    )
    out_city = rng.integers(0, len(cities), n_outsiders)
    prefix = cities["name_zh"].str.replace("市", "", regex=False).to_numpy()[out_city]
    kinds = np.array(["商贸有限公司", "电子商务有限公司", "贸易商行", "网店", "百货有限公司"])
    outsiders = pd.DataFrame(
        {
            "member_name": [
                f"{p}{b}{k}"
                for p, b, k in zip(
                    prefix,
                    renamed[len(names) :],
                    kinds[rng.integers(0, len(kinds), n_outsiders)],
                    strict=True,
                )
            ],
            "member_since": rng.integers(2002, last_year + 1, n_outsiders),
            "category": "消费品/零售",
            "province_zh": prov_name.reindex(
                cities["province_code"].to_numpy()[out_city]
            ).to_numpy(),
        }
    )
    members = pd.concat(
        [members.assign(firm=adopters["firm"].to_numpy()), outsiders], ignore_index=True
    )
    members = members.drop_duplicates("member_name", keep="first")
    return members.sample(frac=1.0, random_state=int(rng.integers(2**31))).reset_index(drop=True)
