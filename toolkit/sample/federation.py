"""The sample federation: ten branches' October submissions, filled the way clerks fill them.

Everything is generated from a fixed seed, so ``unionkit sample`` always writes the same bytes.
Clerk habits (moved header rows, renamed, reordered and extra columns, dates typed as text, an
``.xls``, data pasted into another workbook, a missing template, a corrected resubmission) are
laid on top of clean data, and every deliberate mistake is recorded as a :class:`Planted` entry
with its file, sheet, cell and finding code — the list ``sample_data/README.md`` is written from
and the validator's end-to-end test checks against.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from math import ceil
from typing import Any

from ..config import Branch, FederationConfig
from ..layout import Layout
from ..money import dues_for_wage, fund_due, round_fen, split_fund
from ..spec import TemplateSpec, load_spec
from ..templates import NumberStored
from .people import Person, make_person

PERIOD = "2026-10"
YEAR = "2026"
PERIOD_END = date(2026, 10, 31)
FEDERATION_NAME = "华东精密机械集团有限公司工会"

#: code, name, kind, members, departments
BRANCHES: tuple[tuple[str, str, str, int, tuple[str, ...]], ...] = (
    ("FH01", "一车间分会", "厂分会", 120, ("车工一班", "车工二班", "铣工班", "磨工班")),
    ("FH02", "二车间分会", "厂分会", 180, ("冲压一班", "冲压二班", "焊接班", "模具班")),
    ("FH03", "铸造车间分会", "厂分会", 240, ("造型班", "熔炼班", "清理班", "砂处理班")),
    ("FH04", "装配车间分会", "厂分会", 300, ("总装一线", "总装二线", "部装班", "调试班")),
    ("FH05", "热处理车间分会", "厂分会", 90, ("淬火班", "渗碳班", "检测班")),
    ("FH06", "机关分会", "科室分会", 45, ("办公室", "人力资源部", "财务部", "党群工作部")),
    ("FH07", "技术中心分会", "科室分会", 60, ("设计一室", "设计二室", "工艺室", "试验室")),
    ("FH08", "质量管理部分会", "科室分会", 35, ("质量保证科", "计量室", "理化室")),
    ("FH09", "物流中心分会", "厂分会", 75, ("仓储班", "运输班", "配送班")),
    ("FH10", "后勤服务分会", "科室分会", 30, ("食堂", "物业科", "医务室")),
)


@dataclass(frozen=True)
class Planted:
    """One deliberate mistake: where it is and the finding the validator must report."""

    file: str
    sheet: str | None
    cell: str | None
    code: str
    what: str


@dataclass
class FilePlan:
    """One file a clerk drops in the inbox."""

    name: str
    spec: TemplateSpec
    header: dict[str, Any]
    rows: list[dict[str, Any]]
    layout: Layout = field(default_factory=Layout)
    fmt: str = "xlsx"

    @property
    def sheet(self) -> str:
        return self.layout.sheet_name or self.spec.sheet

    def cell(self, index: int, key: str) -> str:
        return self.layout.cell(self.spec, index, key)


@dataclass
class Sample:
    """The generated federation: its branch directory, files and planted mistakes."""

    branches: tuple[Branch, ...]
    files: list[FilePlan]
    planted: list[Planted]
    audited: list[Planted] = field(default_factory=list)  # 审计提示 the sample must raise


def _workday(rng: random.Random, start: date = date(2026, 10, 9)) -> date:
    """A weekday in October after the National Day holiday."""
    while True:
        day = start + timedelta(days=rng.randint(0, (PERIOD_END - start).days))
        if day.weekday() < 5:
            return day


def _header(branch: tuple, period: str, rng: random.Random, filed: date) -> dict[str, Any]:
    return {"unit_name": branch[1], "branch_code": branch[0], "period": period,
            "preparer": make_person(rng, True, PERIOD_END, set()).name,
            "phone": f"0512-5781{rng.randint(0, 9999):04d}", "filed_on": filed}


def _roster_rows(rng: random.Random, branch: tuple, people: list[Person],
                 activist_share: float) -> list[dict[str, Any]]:
    code, _, kind, _, departments = branch
    office = kind == "科室分会"
    rows = []
    for i, p in enumerate(people, start=1):
        join = max(p.hired, date(p.born.year + 16, p.born.month, min(p.born.day, 28)))
        rows.append({
            "seq": i, "name": p.name, "gender": p.gender, "id_number": p.id_number,
            "birth_date": p.born, "ethnicity": p.ethnicity, "political": p.political,
            "education": p.education, "mobile": p.mobile, "department": rng.choice(departments),
            "employment": "在岗", "migrant": "否" if office or rng.random() > 0.2 else "是",
            "activist": "否", "join_date": join, "card_no": f"{code[2:]}{i:05d}",
        })
    # Changes this month: two joins, two outflows, one member kept on hold (retired).
    for row in rows[-2:]:
        day = _workday(rng)
        row.update(join_date=day, change_type="入会", change_date=day, change_reason="新入职")
    rows[3].update(change_type="转出", change_date=_workday(rng), change_reason="调动至集团其他单位")
    rows[7].update(change_type="退会", change_date=_workday(rng), change_reason="解除劳动关系")
    rows[11].update(change_type="保留", change_date=_workday(rng), change_reason="退休",
                    employment="退休")
    staying = [r for r in rows if r.get("change_type") not in ("转出", "退会")]
    for row in rng.sample(staying, ceil(len(staying) * activist_share)):
        row["activist"] = "是"
    return rows


def _dues_rows(rng: random.Random, roster: list[dict[str, Any]], office: bool,
               config: FederationConfig) -> list[dict[str, Any]]:
    rows = []
    low, high = (500_000, 1_600_000) if office else (350_000, 1_200_000)
    for r in roster:
        if r.get("change_type") in ("转出", "退会", "除名"):
            continue
        row = {"seq": len(rows) + 1, "name": r["name"], "id_number": r["id_number"]}
        if r.get("change_type") == "保留":
            row.update(wage=Decimal("0.00"), dues_due=Decimal("0.00"), dues_paid=Decimal("0.00"),
                       exempt_reason="保留会籍（退休）")
        else:
            wage = Decimal(rng.randint(low, high)) / 100
            due = dues_for_wage(wage, config.dues_rate, config.wage_unit)
            row.update(wage=wage, dues_due=due, dues_paid=due)
        rows.append(row)
    return rows


def _payroll(dues: list[dict[str, Any]], rng: random.Random) -> Decimal:
    wages = sum((r["wage"] for r in dues), Decimal(0))
    return round_fen(wages * Decimal(rng.randint(125, 145)) / 100)


EXPENSES = (
    ("50102", "文体活动费", "职工篮球赛场地及用品", (1800, 4800)),
    ("50101", "职工教育费", "安全生产技能培训教材", (600, 2400)),
    ("50103", "宣传活动费", "宣传栏版面制作", (500, 1600)),
    ("50104", "其他活动支出", "10月职工生日慰问（蛋糕券）", (800, 3000)),
    ("50204", "困难职工帮扶费", "困难职工帮扶慰问", (1000, 3000)),
    ("50302", "会议费", "分会委员会会议资料", (200, 800)),
    ("50402", "商品和服务支出", "办公用品", (150, 900)),
    ("50202", "劳动保护费", "高温季节劳保用品补充", (1500, 4500)),
)


def _ledger_rows(rng: random.Random, dues_paid: Decimal, fund_kept: Decimal, office: bool,
                 config: FederationConfig) -> list[dict[str, Any]]:
    handlers = [make_person(rng, True, PERIOD_END, set()).name for _ in range(2)]
    chair = make_person(rng, True, PERIOD_END, set()).name
    entries: list[dict[str, Any]] = [
        {"date": _workday(rng), "summary": "收10月会员会费", "account_code": "401",
         "income": dues_paid, "settlement": "银行转账", "attachments": 1},
        {"date": _workday(rng), "summary": "收行政拨缴工会经费（留成部分）", "account_code": "402",
         "income": fund_kept, "settlement": "银行转账", "attachments": 1},
    ]
    count = rng.randint(6, 10) if office else rng.randint(9, 16)
    for _ in range(count):
        code, _, summary, (low, high) = rng.choice(EXPENSES)
        amount = Decimal(rng.randint(low * 100, high * 100)) / 100
        cash = amount <= 500 and rng.random() < 0.3
        entries.append({"date": _workday(rng), "summary": summary, "account_code": code,
                        "expense": amount, "settlement": "现金" if cash else rng.choice(
                            ("银行转账", "公务卡")), "attachments": rng.randint(1, 4)})
    big = Decimal(rng.randint(5200, 7800))
    entries.append({"date": _workday(rng), "summary": "职工运动会奖品采购", "account_code": "50102",
                    "expense": big, "settlement": "银行转账", "attachments": 3})
    entries.sort(key=lambda e: e["date"])
    for n, e in enumerate(entries, start=1):
        e.update(voucher=f"记-{n:03d}", account_name=config.accounts[e["account_code"]].name,
                 handler=rng.choice(handlers),
                 approver=chair if e.get("expense", 0) >= config.large_expense or rng.random() < .5
                 else "")
    return entries


def _ledger_header(rows: list[dict[str, Any]], opening: Decimal) -> dict[str, Decimal]:
    income = sum((r.get("income", Decimal(0)) for r in rows), Decimal(0))
    expense = sum((r.get("expense", Decimal(0)) for r in rows), Decimal(0))
    return {"opening": opening, "closing": opening + income - expense}


def _assessment_rows(rng: random.Random, config: FederationConfig) -> list[dict[str, Any]]:
    rows = []
    for i, ind in enumerate(config.indicators, start=1):
        self_score = ind.points - Decimal(rng.choice((0, 0, 0, 1, 2))) / 2
        review = self_score - Decimal(rng.choice((0, 0, 1, 2))) / 2
        rows.append({"seq": i, "category": ind.category, "content": ind.content,
                     "points": ind.points, "self_score": self_score, "review_score": review,
                     "deduction_note": "" if review == ind.points else "台账资料不全，酌情扣分",
                     "veto": "否"})
    return rows


def _file_name(branch: tuple, spec: TemplateSpec, period: str, suffix: str = "") -> str:
    return f"{branch[0]}_{branch[1]}_{spec.title}_{period}{suffix}.xlsx"


def _branch_files(branch: tuple, rng: random.Random, config: FederationConfig,
                  filed: date) -> list[FilePlan]:
    """One branch's four clean files for the period."""
    code, _, kind, size, _ = branch
    office = kind == "科室分会"
    used: set[str] = set()
    people = [make_person(rng, office, PERIOD_END, used) for _ in range(size)]
    roster = _roster_rows(rng, branch, people, 0.10 if code == "FH05" else 0.26)
    dues = _dues_rows(rng, roster, office, config)
    payroll = _payroll(dues, rng)
    kept, _ = split_fund(fund_due(payroll, config.fund_rate), config.upper_share)
    paid = sum((r["dues_paid"] for r in dues), Decimal(0))
    ledger = _ledger_rows(rng, paid, kept, office, config)
    opening = Decimal(rng.randint(8_000_000, 30_000_000)) / 100
    plans = (
        (load_spec("roster"), {}, roster, PERIOD),
        (load_spec("dues"), {"payroll": payroll}, dues, PERIOD),
        (load_spec("ledger"), _ledger_header(ledger, opening), ledger, PERIOD),
        (load_spec("assessment"), {}, _assessment_rows(rng, config), YEAR),
    )
    return [FilePlan(_file_name(branch, spec, period), spec,
                     {**_header(branch, period, rng, filed), **extra}, rows)
            for spec, extra, rows, period in plans]


#: The branches that keep a 困难职工档案 in the sample (a registry: sent when it changes).
HARDSHIP_BRANCHES = ("FH01", "FH03", "FH06")
_HARDSHIP = (("因病", 3, "1180.00", "核实"), ("子女就学", 4, "1350.50", "公示"),
             ("因残", 2, "960.00", "申报"))


def _hardship_file(branch: tuple, roster: FilePlan, rng: random.Random,
                   filed: date) -> FilePlan:
    """A branch's registry of three workers in hardship, drawn from its roster (its own
    random stream, so the four forms stay as they were)."""
    people = [r for r in roster.rows[20:60] if not r.get("change_type")]
    rows = []
    for i, (person, (kind, size, income, approval)) in enumerate(
            zip(rng.sample(people, 3), _HARDSHIP, strict=True), start=1):
        verified = approval == "核实"
        rows.append({"seq": i, "name": person["name"], "gender": person["gender"],
                     "id_number": person["id_number"], "department": person["department"],
                     "hardship_type": kind, "household_size": size,
                     "household_income": Decimal(income),
                     "filed_date": date(2026, rng.randint(3, 9), rng.randint(1, 28)),
                     "aid_amount": Decimal("2000.00") if verified else None,
                     "aid_form": "银行转账" if verified else "", "approval": approval})
    spec = load_spec("hardship")
    return FilePlan(_file_name(branch, spec, PERIOD), spec, _header(branch, PERIOD, rng, filed),
                    rows)


def build_sample(config: FederationConfig, seed: int = 2026,
                 habits: tuple[Habit, ...] | None = None) -> Sample:
    """Generate every branch's files (clean), then lay the clerk habits and mistakes on top
    (each branch's, or ``habits``: a property test mixes them)."""
    rng = random.Random(seed)
    files: dict[str, FilePlan] = {}
    for n, branch in enumerate(BRANCHES):
        for plan in _branch_files(branch, rng, config, date(2026, 11, 3) + timedelta(days=n % 5)):
            files[f"{branch[0]}/{plan.spec.id}"] = plan
    registries = random.Random(seed + 18)
    for branch in (b for b in BRANCHES if b[0] in HARDSHIP_BRANCHES):
        files[f"{branch[0]}/hardship"] = _hardship_file(branch, files[f"{branch[0]}/roster"],
                                                        registries, date(2026, 11, 4))
    planted: list[Planted] = []
    for habit in HABITS if habits is None else habits:
        habit(files, planted, rng, config)
    directory = tuple(Branch(b[0], b[1], b[2]) for b in BRANCHES)
    return Sample(directory, sorted(files.values(), key=lambda f: f.name), planted,
                  _audit_cases(files, config))


def synthetic_branch(index: int, members: int) -> tuple:
    """Branch ``index`` of a large synthetic federation (benchmarks): code B0001, B0002, …"""
    kind = "科室分会" if index % 4 == 3 else "厂分会"
    return (f"B{index:04d}", f"第{index}分会", kind, members, ("一班", "二班", "三班", "四班"))


def synthetic_branch_files(index: int, members: int, config: FederationConfig,
                           seed: int = 2026) -> list[FilePlan]:
    """A clean, valid set of files for one synthetic branch (deterministic per index)."""
    rng = random.Random(seed * 100_003 + index)
    return _branch_files(synthetic_branch(index, members), rng, config, date(2026, 11, 3))


# --- clerk habits and deliberate mistakes -------------------------------------------------------
Habit = Callable[[dict[str, FilePlan], list[Planted], random.Random, FederationConfig], None]


def _plant(planted: list[Planted], plan: FilePlan, cell: str | None, code: str, what: str) -> None:
    planted.append(Planted(plan.name, plan.sheet if code != "filename_mismatch" else None, cell,
                           code, what))


def _adjust_dues_income(ledger: FilePlan, delta: Decimal) -> None:
    """Keep a ledger's 会费收入 equal to the dues its branch collected, and its balance right."""
    row = next(r for r in ledger.rows if r["account_code"] == "401")
    row["income"] += delta
    ledger.header.update(_ledger_header(ledger.rows, ledger.header["opening"]))


def _fh01(files, planted, rng, config) -> None:
    roster = files["FH01/roster"]
    row = roster.rows[3]  # an outflow member, so no dues line depends on the ID
    bad = row["id_number"][:17] + ("0" if row["id_number"][17] != "0" else "1")
    row["id_number"] = bad
    _plant(planted, roster, roster.cell(3, "id_number"), "id_checksum",
           f"证件号码 {bad} 校验位错误（抄错一位）")
    row = roster.rows[20]
    row["gender"] = "女" if row["gender"] == "男" else "男"
    _plant(planted, roster, roster.cell(20, "gender"), "gender_mismatch",
           f"性别填“{row['gender']}”，与身份证号第17位不符")


def _fh02(files, planted, rng, config) -> None:
    roster = files["FH02/roster"]
    row = roster.rows[7]  # 退会 this month: no dues line
    row["id_number"] = NumberStored(row["id_number"][:15] + "000")
    _plant(planted, roster, roster.cell(7, "id_number"), "id_as_number",
           "证件号码被 Excel 存成数字，后三位已丢失")
    first = files["FH02/dues"]
    fixed = FilePlan(_file_name(BRANCHES[1], first.spec, PERIOD, "（更正）"), first.spec,
                     {**first.header, "filed_on": first.header["filed_on"] + timedelta(days=3)},
                     [dict(r) for r in first.rows])
    files["FH02/dues-corrected"] = fixed
    index = next(i for i, r in enumerate(first.rows) if r["wage"] % 10)
    row = first.rows[index]
    wrong = round_fen(row["wage"] * config.dues_rate)
    if wrong == row["dues_due"]:
        wrong += Decimal("0.05")
    row["dues_due"] = row["dues_paid"] = wrong
    _plant(planted, first, first.cell(index, "dues_due"), "dues_mismatch",
           f"应缴会费按未去尾数的工资 {row['wage']} 计算成 {wrong}（已在更正文件中改正）")


def _fh03(files, planted, rng, config) -> None:
    roster = files["FH03/roster"]
    roster.layout = Layout(top_rows=2)
    roster.rows[3]["change_date"] = None
    _plant(planted, roster, roster.cell(3, "change_date"), "change_detail_missing",
           "会籍变化类型为“转出”，未填会籍变化日期")
    roster.rows[30]["note"] = "-已调岗，待办转出"
    ledger = files["FH03/ledger"]
    ledger.rows[0]["date"] = date(2026, 9, 28)
    _plant(planted, ledger, ledger.cell(0, "date"), "date_out_of_period",
           "凭证日期 2026-09-28 不在所属期 2026-10 内")
    index = next(i for i, r in enumerate(ledger.rows) if r.get("expense"))
    ledger.rows[index]["attachments"] = 0
    _plant(planted, ledger, ledger.cell(index, "attachments"), "attachment_missing",
           "支出凭证附件张数为0")


def _fh04(files, planted, rng, config) -> None:
    dues = files["FH04/dues"]
    order = ("seq", "name", "id_number", "wage", "dues_due", "dues_paid", "note", "exempt_reason")
    dues.layout = Layout(order=order, renames=(("id_number", "身份证号码"), ("wage", "缴费基数")),
                         extra_columns=("部门",))
    for row in dues.rows:
        row["部门"] = "总装"
    header_row = dues.layout.header_row(dues.spec)
    _plant(planted, dues, f"I{header_row + 1}", "extra_column", "多出一列“部门”（不属于模板）")
    index = 15
    row = dues.rows[index]
    row["dues_paid"] = row["dues_due"] - Decimal("5.00")
    row["note"] = "本月少缴5元，下月补齐"
    _plant(planted, dues, dues.cell(index, "dues_paid"), "dues_arrears", "实缴会费少于应缴会费5元")
    _adjust_dues_income(files["FH04/ledger"], Decimal("-5.00"))
    assess = files["FH04/assessment"]
    row = next(r for r in assess.rows if r["review_score"] < r["points"])
    row["deduction_note"] = ""
    index = assess.rows.index(row)
    _plant(planted, assess, assess.cell(index, "deduction_note"), "deduction_note_missing",
           "考评分低于分值，未写扣分说明")


def _fh05(files, planted, rng, config) -> None:
    ledger = files["FH05/ledger"]
    ledger.layout = Layout(date_style="dot")
    ledger.header["closing"] += Decimal("100.00")
    _plant(planted, ledger, ledger.layout.header_value_cell(ledger.spec, "closing"),
           "balance_mismatch", "期末余额多写了100.00元，与期初余额+收入−支出不符")
    index = next(i for i, r in enumerate(ledger.rows) if r["account_code"] == "50102")
    ledger.rows[index]["account_name"] = "会议费"
    _plant(planted, ledger, ledger.cell(index, "account_name"), "account_name_mismatch",
           "科目编码 50102（文体活动费）的科目名称写成“会议费”")
    roster = files["FH05/roster"]
    _plant(planted, roster, None, "activist_share_low", "工会积极分子仅占会员约10%，低于20%")


def _fh06(files, planted, rng, config) -> None:
    roster = files["FH06/roster"]
    roster.fmt = "xls"
    roster.name = roster.name.removesuffix(".xlsx") + ".xls"
    ledger = files["FH06/ledger"]
    index = next(i for i, r in enumerate(ledger.rows) if r["summary"] == "职工运动会奖品采购")
    ledger.rows[index]["approver"] = ""
    _plant(planted, ledger, ledger.cell(index, "approver"), "approval_missing",
           "大额支出（≥5000元）未填写审批人")
    ledger.rows.insert(index + 1, {
        "date": ledger.rows[index]["date"], "voucher": "", "summary": "重阳节慰问退休职工（购物卡）",
        "account_code": "50205", "account_name": "送温暖费", "expense": Decimal("800.00"),
        "settlement": "银行转账", "handler": ledger.rows[index]["handler"], "approver": "",
        "attachments": 2})
    for n, row in enumerate(ledger.rows, start=1):
        row["voucher"] = f"记-{n:03d}"
    ledger.header.update(_ledger_header(ledger.rows, ledger.header["opening"]))
    _plant(planted, ledger, ledger.cell(index + 1, "summary"), "welfare_cash_card",
           "以购物卡形式发放慰问")


def _fh07(files, planted, rng, config) -> None:
    del files["FH07/ledger"]  # 技术中心分会 did not send its ledger (未报送)


def _fh08(files, planted, rng, config) -> None:
    assess = files["FH08/assessment"]
    assess.layout = Layout(sheet_name="Sheet1", meta=False, instructions=False, top_rows=1)
    assess.name = "质量管理部分会2026年度考核自评.xlsx"
    index = next(i for i, r in enumerate(assess.rows) if r["points"] == 10)
    assess.rows[index]["review_score"] = Decimal("12")
    assess.rows[index]["deduction_note"] = ""
    _plant(planted, assess, assess.cell(index, "review_score"), "score_above_max",
           "考评分12分，超过该项分值10分")
    ledger = files["FH08/ledger"]
    for n, row in enumerate(ledger.rows, start=1):
        row["voucher"] = f"记-{n if n < 5 else n + 1:03d}"
    _plant(planted, ledger, ledger.cell(4, "voucher"), "voucher_gap", "凭证号从记-004跳到记-006")


def _fh09(files, planted, rng, config) -> None:
    roster = files["FH09/roster"]
    roster.layout = Layout(date_style="compact")
    roster.rows[5]["mobile"] = roster.rows[5]["mobile"][:10]
    _plant(planted, roster, roster.cell(5, "mobile"), "mobile_format", "手机号码只有10位")
    twin = {**roster.rows[30], "seq": len(roster.rows) + 1, "card_no": ""}
    roster.rows.append(twin)
    _plant(planted, roster, roster.cell(len(roster.rows) - 1, "id_number"), "duplicate_value",
           f"{twin['name']}重复录入（证件号码与第{roster.cell(30, 'id_number')}格相同）")
    ledger = files["FH09/ledger"]
    expense = sum((r.get("expense", Decimal(0)) for r in ledger.rows), Decimal(0))
    ledger.layout = Layout(total_row=True, total_overrides=(("expense", expense - 50),),
                           notes_below=("注：本月凭证已装订成册，存分会备查。",))
    _plant(planted, ledger, ledger.cell(len(ledger.rows), "expense"), "total_row_mismatch",
           "合计行的支出金额比明细之和少50元")


def _fh10(files, planted, rng, config) -> None:
    roster = files["FH10/roster"]
    roster.name = roster.name.replace(PERIOD, "2026-09")
    _plant(planted, roster, None, "filename_mismatch", "文件名写的是2026-09，表内所属期是2026-10")
    dues = files["FH10/dues"]
    newcomer = make_person(rng, True, PERIOD_END, set())
    wage = Decimal("6120.00")
    due = dues_for_wage(wage, config.dues_rate, config.wage_unit)
    dues.rows.append({"seq": len(dues.rows) + 1, "name": newcomer.name,
                      "id_number": newcomer.id_number, "wage": wage, "dues_due": due,
                      "dues_paid": due, "note": "新调入"})
    _plant(planted, dues, dues.cell(len(dues.rows) - 1, "id_number"), "dues_not_in_roster",
           f"{newcomer.name}在会费表中，但不在本分会本月会员名册里")
    _adjust_dues_income(files["FH10/ledger"], due)


#: Clean entries (no validation finding) that an auditor should still look at: branch, date,
#: summary, account, amount, settlement, and the flags they raise.
AUDIT_CASES = (
    ("FH03", date(2026, 10, 3), "国庆节职工值班餐费", "50104", "356.80", "公务卡",
     ("audit_holiday",), "国庆假期内的支出"),
    ("FH10", date(2026, 10, 20), "中秋节慰问品（补发）", "50104", "48000.00", "银行转账",
     ("audit_welfare_cap", "audit_round_amount"), "人均节日慰问超过全年 1,500 元标准；整数金额"),
    ("FH06", date(2026, 10, 24), "职工生日慰问", "50104", "580.00", "现金",
     ("audit_cash_welfare", "audit_weekend"), "生日慰问以现金发放，且在周六"),
)


def _audit_cases(files: dict[str, FilePlan], config: FederationConfig) -> list[Planted]:
    """Append :data:`AUDIT_CASES` to the branches' ledgers (after every habit, so no planted
    cell moves) and list the flags they raise, for the sample's README and its test."""
    audited = []
    for code, day, summary, account, amount, settlement, flags, what in AUDIT_CASES:
        ledger = files[f"{code}/ledger"]
        approver = next(r["approver"] for r in ledger.rows if r.get("approver"))
        ledger.rows.append({
            "date": day, "voucher": f"记-{len(ledger.rows) + 1:03d}", "summary": summary,
            "account_code": account, "account_name": config.accounts[account].name,
            "expense": Decimal(amount), "settlement": settlement,
            "handler": ledger.rows[-1]["handler"],
            "approver": approver if Decimal(amount) >= config.large_expense else "",
            "attachments": 2})
        ledger.header.update(_ledger_header(ledger.rows, ledger.header["opening"]))
        audited += [Planted(ledger.name, ledger.sheet, ledger.cell(len(ledger.rows) - 1,
                                                                    "expense"), flag, what)
                    for flag in flags]
    return audited


def _registries(files, planted, rng, config) -> None:
    """困难职工档案: an aid amount entered before its approval (FH06's 公示 row). (One worker
    registered by two branches is found by consolidation: tests/test_own_templates.py.)"""
    registry = files["FH06/hardship"]
    index = next(i for i, r in enumerate(registry.rows) if r["approval"] == "公示")
    registry.rows[index]["aid_amount"] = Decimal("1500.00")
    _plant(planted, registry, registry.cell(index, "aid_amount"), "value_not_expected",
           "审批状态还是“公示”，已填写帮扶金额")


HABITS: tuple[Habit, ...] = (_fh01, _fh02, _fh03, _fh04, _fh05, _fh06, _fh07, _fh08, _fh09, _fh10,
                             _registries)

__all__ = ["BRANCHES", "FEDERATION_NAME", "PERIOD", "FilePlan", "Planted", "Sample",
           "build_sample"]
