"""Realistic Chinese members: names, valid resident IDs, phones, departments (seeded, offline)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ..ids import make_resident_id

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林建国志文海峰晨阳东"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英慧巧美淑惠珠翠雅芝玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹"
#: Real county-level region codes (GB/T 2260) around a Yangtze-delta machinery plant.
REGIONS = ("320102", "320106", "320583", "320582", "321002", "340104", "340111", "370102",
           "410105", "420106", "330106", "360102", "320902", "321202", "341302")
MOBILE_PREFIXES = ("138", "139", "137", "135", "150", "151", "158", "186", "187", "189", "133",
                   "177", "199", "182", "152")
ETHNIC_MINORITY = ("回族", "满族", "壮族", "土家族", "苗族", "蒙古族")


@dataclass
class Person:
    """One worker, before the roster decides what the clerk writes about them."""

    name: str
    gender: str
    born: date
    id_number: str
    ethnicity: str
    political: str
    education: str
    mobile: str
    hired: date


def _name(rng: random.Random, gender: str) -> str:
    pool = GIVEN_MALE if gender == "男" else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _political(rng: random.Random, age: int) -> str:
    roll = rng.random()
    if age < 28 and roll < 0.35:
        return "共青团员"
    if roll < 0.27:
        return "中共党员"
    if roll < 0.29:
        return "中共预备党员"
    return "群众"


def _education(rng: random.Random, office: bool) -> str:
    if office:
        return rng.choices(("大专", "本科", "硕士研究生", "博士研究生"), (2, 6, 2, 0.2))[0]
    return rng.choices(("初中", "高中", "大专", "本科"), (1, 5, 3, 1))[0]


def make_person(rng: random.Random, office: bool, as_of: date, used_ids: set[str]) -> Person:
    """A plausible worker aged 22–59 on ``as_of`` with a unique, valid ID."""
    gender = "男" if rng.random() < (0.45 if office else 0.72) else "女"
    born = date(as_of.year - rng.randint(22, 59), 1, 1) + timedelta(days=rng.randint(0, 364))
    while True:
        seq = rng.randint(0, 499) * 2 + (1 if gender == "男" else 0)
        id_number = make_resident_id(rng.choice(REGIONS), born, seq % 1000)
        if id_number not in used_ids:
            used_ids.add(id_number)
            break
    age = as_of.year - born.year
    earliest = date(born.year + 18, born.month, min(born.day, 28))
    hired = earliest + timedelta(days=rng.randint(0, max(0, (as_of - earliest).days - 60)))
    return Person(
        name=_name(rng, gender), gender=gender, born=born, id_number=id_number,
        ethnicity="汉族" if rng.random() < 0.94 else rng.choice(ETHNIC_MINORITY),
        political=_political(rng, age), education=_education(rng, office),
        mobile=rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}",
        hired=hired,
    )
