"""`demo`: a realistic sample workspace, built by living through a few weeks of the desk.

Cases arrive day by day and `daily` runs each morning, as a clerk would work; some units
send back their feedback sheets (closed, interim), some do not (they become overdue). Then
today's complaints and post arrive, including the awkward ones real clerks see (a text
date, an alias, a missing field, a liaison form, a forwarded list, a file sent by mistake),
and today's run is shown.
"""

from __future__ import annotations

import os
import random
from copy import copy
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path

from openpyxl import load_workbook

from tipdesk.domain.columns import REGISTER_COLUMNS, REGISTER_SHEET
from tipdesk.config import load_config
from tipdesk.commands.daily import run_daily
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.commands.init import init_workspace
from tipdesk.domain.launcher import RUN

MARKER = ".tipdesk-demo"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("建国", "秀英", "志强", "丽华", "海涛", "晓燕", "国庆", "春梅", "伟", "芳", "军", "敏")
# (被举报单位, 事发地址, 举报内容, 类别 typed by the clerk or None, 行业领域 typed or None)
COMPLAINTS = (
    ("宏达建设工程有限公司", "东城街道人民路88号工地", "工地脚手架没有连墙件，工人高空作业不系安全带。", None, None),
    ("鑫源化工有限公司", "北城街道工业园12号", "厂区储罐附近闻到刺鼻气味，怀疑有泄漏，请尽快查看。", None, None),
    ("好再来餐馆", "西城街道建设路15号", "餐馆后厨液化气瓶放在灶台旁边，软管老化。", "一般", None),
    ("顺风物流", "南城街道迎宾大道物流园", "货车严重超载上路，司机连续驾驶十几个小时。", None, "道路运输"),
    ("金鼎商场", "东城街道解放路1号", "商场安全出口被货物堵住，消防通道停满电动车。", None, None),
    ("华强机械厂", "北城街道北环路工业园", "车间冲压设备没有防护罩，上周有工人手指受伤。", None, None),
    ("青山采石场", "青山镇石桥村", "采石场放炮不设警戒，碎石飞到村道上。", None, None),
    ("阳光小区物业", "南城街道南环路阳光小区", "小区电梯经常困人，维保记录造假。", None, "特种设备"),
    ("绿源食品厂", "青山镇龙潭村", "食品厂有限空间作业没有通风检测，去年有人中毒。", None, None),
    ("某出租屋", "西城街道西关村5组", "群租房楼道里给电动车充电，电线乱拉。", None, None),
    ("城西加油站", "西城街道西山路", "加油站卸油时有人抽烟打电话。", "紧急", None),
    ("天成建筑劳务公司", "北城街道火车站旁工地", "塔吊司机无证上岗，塔吊螺栓松动。", None, None),
    ("福满楼酒店", "东城街道东湖路", "酒店燃气管道有异味，员工说已经闻到好几天了。", None, None),
    ("宏业五金厂", "南城街道南门工业区", "工厂粉尘很大，车间内没有除尘设备，随时可能爆炸。", None, None),
    ("长途客运站", "北城街道火车站", "大巴车安全锤缺失，车门故障。", None, None),
    ("某废品收购站", "青山镇青山村", "收购站堆放大量废旧气瓶，有的还有残气。", None, "燃气"),
    ("锦绣家园工地", "西城街道建设路锦绣家园", "基坑边堆土过高，基坑支护出现裂缝。", None, None),
    ("城东锅炉房", "东城街道人民路", "锅炉操作工无证，压力表过期。", None, None),
    ("某小作坊", "地址不详", "有人在家里私自灌装液化气转卖。", None, None),
    ("不详", "不详", "有单位长期违规作业，具体地点不清楚，请有关部门查一查。", None, None),
    ("兴旺纺织厂", "南城街道迎宾大道", "纺织厂昨晚起火，一名工人受伤送医，工厂隐瞒不报。", None, None),
)
SOURCES_WEIGHTED = ("12350热线",) * 6 + ("市转办", "省转办", "国家转办", "来信", "来访", "网络")


def _reporter(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    return name, f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _row(rng: random.Random, received: datetime, complaint: tuple, index: int) -> dict:
    subject, address, content, category, industry = complaint
    name, phone = _reporter(rng)
    source = rng.choice(SOURCES_WEIGHTED)
    values = {"受理时间": received, "来源": source, "举报人": name, "联系方式": phone,
              "被举报单位": subject, "事发地址": address, "举报内容": content,
              "类别": category, "行业领域": industry}
    if index % 4 == 0:  # some reporters also leave their number inside the complaint text
        values["举报内容"] = content + f"如需核实请联系{name}，电话{phone[:3]}-{phone[3:7]}-{phone[7:]}。"
    if source in ("国家转办", "省转办", "市转办"):
        values["上级编号"] = f"{source[0]}{received:%Y%m%d}{index:03d}"
        values["上级期限"] = (received + timedelta(days=15)).replace(hour=0, minute=0)
    return values


def _append(register: Path, rows: list[dict]) -> None:
    """What the clerk does by hand: type new rows at the bottom of the register (a typed cell
    takes its column's format, as in Excel)."""
    wb = load_workbook(register)
    ws = wb[REGISTER_SHEET]
    for values in rows:
        ws.append([values.get(c) for c in REGISTER_COLUMNS])
        for index, column in enumerate(REGISTER_COLUMNS, start=1):
            cell = ws.cell(row=ws.max_row, column=index)
            cell.alignment = copy(ws.column_dimensions[cell.column_letter].alignment)
            if isinstance(values.get(column), datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    wb.save(register)


ANSWERS = (
    {"办理状态": "已办结", "是否属实": "属实", "核查情况": "经现场检查，反映问题属实。",
     "处理结果": "已责令限期整改，整改完成后复查合格。"},
    {"办理状态": "已办结", "是否属实": "部分属实", "核查情况": "现场检查发现部分问题。",
     "处理结果": "对存在的问题已督促整改。"},
    {"办理状态": "已办结", "是否属实": "不属实", "核查情况": "经现场核查，未发现反映的问题。",
     "处理结果": "已向举报人说明情况。"},
    {"办理状态": "阶段性反馈", "核查情况": "已到现场核实，正在调查处理。"},
)


def _answer(sheet: Path, target: Path, answers: dict, saved_at: datetime) -> None:
    """What a unit does: type answers beside the labels of our sheet and send it back."""
    wb = load_workbook(sheet)
    ws = wb["反馈表"]
    labels = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for label, value in {**answers, "经办人": "刘洋", "联系电话": "0000-12345678",
                         "办结日期": f"{saved_at:%Y年%m月%d日}"}.items():
        ws.cell(labels[label].row, labels[label].column + 1).value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    os.utime(target, (saved_at.timestamp(), saved_at.timestamp()))


def _units_answer(config, rng: random.Random, when: datetime, share: float) -> None:
    """Some units send back the feedback sheets of their open cases into the inbox."""
    for sheet in sorted(config.outbox.glob("*/*/*-反馈表.xlsx")):
        case_id = sheet.name.removesuffix("-反馈表.xlsx")
        answered = config.inbox / "processed"
        if any(answered.glob(f"*/{case_id}*")) or (config.inbox / f"{case_id}-回复.xlsx").exists():
            continue
        if rng.random() < share:
            answers = rng.choice(ANSWERS)
            _answer(sheet, config.inbox / f"{case_id}-回复.xlsx", answers, when)


PEOPLE = ("周建华", "吴志刚", "郑丽", "王海", "冯静", "陈强", "褚亮", "卫红", "蒋涛", "沈梅", "韩冰")


def _liaison_forms(config, when: datetime) -> None:
    """Early in the year most units returned their liaison forms (two did not)."""
    from openpyxl import Workbook

    for i, unit in enumerate(config.units[:-2]):
        form = Workbook()
        sheet = form.active
        sheet.append(["安全生产投诉举报受理工作联络单"])
        sheet.append([f"单位：{unit.name}（公章）"])
        sheet.append(["分管领导", "联系电话", "科  长", "联系电话", "经办人", "联系电话", "电子邮箱"])
        sheet.append([PEOPLE[i] + "（副局长）", f"1380000{i:04d}", PEOPLE[-1 - i], f"1390000{i:04d}",
                      PEOPLE[(i + 3) % len(PEOPLE)], f"0000-1234{i:04d}", f"unit{i + 1}@example.gov.cn"])
        path = config.inbox / f"{unit.name}-联络单.xlsx"
        form.save(path)
        os.utime(path, (when.timestamp(), when.timestamp()))


def _today_mail(config, today: datetime) -> None:
    """Today's post: a liaison form, a list forwarded by the city centre, and a file sent by mistake."""
    from openpyxl import Workbook

    form = Workbook()
    sheet = form.active
    sheet.append(["安全生产投诉举报受理工作联络单"])
    sheet.append(["单位：区住房和城乡建设局（公章）"])
    sheet.append(["分管领导", "联系电话", "科  长", "联系电话", "经办人", "联系电话", "电子邮箱"])
    sheet.append(["周建华", "13800000011", "吴志刚", "13800000012", "郑丽", "0000-12345601", "zhengli@zjj.example.gov.cn"])
    form.save(config.inbox / "住建局-联络单.xlsx")
    export = Workbook()
    sheet = export.active
    sheet.append(["市安全生产举报中心转办件清单"])
    sheet.append(["转办编号", "登记时间", "被举报单位", "事发地点", "问题描述", "办理时限", "举报人", "联系电话"])
    logged = today - timedelta(minutes=10)
    sheet.append([f"市{today:%Y%m%d}-017", f"{logged:%Y年%m月%d日 %H:%M}", "锦绣家园工地", "西城街道建设路锦绣家园",
                  "工地夜间违规施工，塔吊吊装作业无人指挥。", f"{(today + timedelta(days=12)):%Y-%m-%d}", "孙丽", "13700001234"])
    sheet.append([f"市{today:%Y%m%d}-018", f"{today:%Y.%m.%d}", "城东锅炉房", "东城街道人民路",
                  "锅炉房压力表过期，操作人员无证。", f"{(today + timedelta(days=12)):%Y-%m-%d}", "", ""])
    export.save(config.inbox / "市转办清单.xlsx")
    (config.inbox / "会议通知.csv").write_text("会议,时间\n安全例会,周五\n", encoding="utf-8")


def build_demo(folder: Path, now: datetime) -> Path:
    """A workspace in `folder` whose history runs up to `now`; returns its config path."""
    if folder.exists():
        if not (folder / MARKER).exists():
            raise TipdeskError(f"{folder}：文件夹已存在且不是示例工作区，为免覆盖，请换一个 --folder。", EXIT_USAGE)
        shutil.rmtree(folder)
    init_workspace(folder)
    (folder / MARKER).write_text("tipdesk demo workspace; ./run demo rebuilds it\n", encoding="utf-8")
    config = load_config(folder / "config.yaml")
    rng = random.Random(20261129)
    quiet = lambda _text: None  # noqa: E731 - the history is lived silently
    complaints = list(COMPLAINTS)
    index = 0
    for days_back in range(18, 0, -1):
        day = (now - timedelta(days=days_back)).date()
        morning = datetime.combine(day, time(8, 30))
        if days_back == 18:
            _liaison_forms(config, morning - timedelta(hours=16))
        arrivals = []
        for _ in range(rng.choice((0, 1, 2, 2))):
            index += 1
            received = morning - timedelta(hours=rng.randint(1, 15), minutes=rng.randint(0, 59))
            arrivals.append(_row(rng, received, complaints[index % len(complaints)], index))
        if arrivals:
            _append(config.register, arrivals)
        _units_answer(config, rng, morning - timedelta(hours=14), share=0.35)
        run_daily(config, morning, echo=quiet)
    # Today's complaints came in before this run: whatever the hour the demo is run at, none
    # is received after it is referred.
    today = now.replace(second=0, microsecond=0) - timedelta(minutes=40)
    typed = today - timedelta(minutes=30)
    awkward = [
        _row(rng, today - timedelta(hours=2), COMPLAINTS[1], 90),
        _row(rng, today - timedelta(hours=1), COMPLAINTS[20], 91),
        _row(rng, today - timedelta(hours=3), COMPLAINTS[19], 92),          # no place, no industry: 待分派
        {**_row(rng, today, COMPLAINTS[0], 93), "承办单位": "住建局"},        # alias
        {**_row(rng, today, COMPLAINTS[4], 94), "受理时间": f"{typed:%Y}年{typed.month}月{typed.day}日 {typed:%H:%M}"},
        {**_row(rng, today, COMPLAINTS[2], 95), "受理时间": None},          # incomplete
    ]
    _append(config.register, awkward)
    _units_answer(config, rng, today - timedelta(minutes=20), share=0.3)
    _today_mail(config, today)
    return config.path


def run_demo(folder: Path, now: datetime, dry_run: bool = False) -> int:
    print(f"正在生成示例工作区 {folder}/（模拟过去 18 天的受理和每日运行）…")
    config_path = build_demo(folder, now)
    config = load_config(config_path)
    print(f"示例台账：{config.register}\n今天的运行：\n")
    result = run_daily(config, now, dry_run=dry_run)
    if result.summary_path:
        print(f"每日汇总已保存：{result.summary_path}")
    print(f"用 Excel/WPS 打开 {config.register} 查看台账；再运行一次不会有任何修改：\n"
          f"  {RUN} daily --config {config_path}")
    return 0
