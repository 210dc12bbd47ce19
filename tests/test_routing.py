"""Routing as the clerk reads a case (rules/routing.py): the unit's own name in the address,
then the most specific place (a road's house-number range before its bare name), the industry
from 行业领域, 被举报单位 or 举报内容, and the reasons and candidates written to 备注.

Pure tests build a config the way load_config does; the last ones run `daily` on a workspace.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import complaint
from tipdesk.config import PACKAGE_TEMPLATES, config_from, load_config
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.places import house_numbers, parse_place
from tipdesk.rules.routing import given, infer_area, infer_industry, route

SAMPLE = load_config(PACKAGE_TEMPLATES / "config.yaml")   # the district every new workspace gets
INDUSTRIES = {"建筑施工": ["工地", "建筑"], "危险化学品": ["化工", "加油站", "储罐"], "工贸": ["车间", "工厂"],
              "燃气": ["燃气", "液化气"], "消防": ["消防通道", "电动车充电"]}


def district(*areas: tuple[str, list[str]], **extra) -> dict:
    """A config.yaml as a dict: the industry departments, then one 镇街 per (name, areas)."""
    units = [{"name": "区住房和城乡建设局", "industries": ["建筑施工"]},
             {"name": "区应急管理局", "industries": ["危险化学品", "工贸"]},
             {"name": "区城市管理局", "industries": ["燃气"]},
             {"name": "区消防救援大队", "industries": ["消防"]}]
    units += [{"name": name, "type": "镇街", "aliases": [name + "办事处"], "areas": places} for name, places in areas]
    return {"centre": {"name": "区应急管理局指挥中心"}, "industries": INDUSTRIES, "units": units, **extra}


def config(*areas: tuple[str, list[str]]):
    return config_from(district(*areas), Path("config.yaml"))


def area(address: str, cfg=SAMPLE):
    return infer_area(address, cfg)


# ---- the areas a unit lists ---------------------------------------------------------------

@pytest.mark.parametrize("text, road, low, high, parity", [
    ("人民路", "人民路", None, float("inf"), None),
    ("石桥村", "石桥村", None, float("inf"), None),
    ("西关村5组", "西关村5组", None, float("inf"), None),        # a number, but no 号: a place word
    ("人民路1-99号", "人民路", 1, 99, None),
    ("人民路100号起", "人民路", 100, float("inf"), None),
    ("人民路100-号", "人民路", 100, float("inf"), None),
    ("人民路１００－３００号", "人民路", 100, 300, None),          # full-width digits and dash
    ("人民路100～300号", "人民路", 100, 300, None),
    ("人民路100—300号", "人民路", 100, 300, None),
    ("人民路100号至300号", "人民路", 100, 300, None),
    ("人民路 88号", "人民路", 88, 88, None),
    ("人民路1-99号单号", "人民路", 1, 99, 1),
    ("人民路（双号）2-98号", "人民路", 2, 98, 0),
])
def test_an_area_is_a_place_word_or_a_road_with_a_house_number_range(text, road, low, high, parity):
    place = parse_place(text)
    assert (place.word, place.low, place.high, place.parity) == (road, low, high, parity)


@pytest.mark.parametrize("address, numbers", [
    ("南城街道人民路88号", [88]), ("人民路８８号", [88]), ("人民路88-2号", [88]), ("人民路88号院3栋", [88]),
    ("人民路北段120号", [120]), ("人民路一百二十号", [120]), ("人 民 路 120 号", [120]), ("人民路88", [88]),
    ("人民路88，幸福小区", [88]), ("人民路88幸福小区", [88]), ("人民路与解放路交叉口", []),
    ("人民路3公里处", []), ("人民路8栋", []), ("人民路东侧", []), ("人民路88号对面、人民路120号旁", [88, 120]),
])
def test_the_house_number_is_the_one_after_the_road(address, numbers):
    assert house_numbers(address, "人民路") == numbers


def test_plain_area_strings_still_work():
    cfg = config(("东城街道", ["人民路", "东湖"]))
    assert cfg.units[-1].areas == ("人民路", "东湖")
    assert area("东湖边的小饭馆", cfg).value == "东城街道"


def config_error(data: dict) -> str:
    with pytest.raises(TipdeskError) as raised:
        config_from(data, Path("config.yaml"))
    return raised.value.message


def test_overlapping_ranges_on_one_road_are_refused_naming_both_keys():
    message = config_error(district(("东城街道", ["东城", "人民路1-99号"]), ("南城街道", ["人民路50-150号"])))
    assert message.startswith("config.yaml：配置项 units[6].areas 中的“人民路50-150号”与 units[5].areas "
                              "中的“人民路1-99号”重叠"), message
    assert "请调整门牌号范围" in message
    # within one unit too, and an open range overlaps everything above it
    message = config_error(district(("东城街道", ["人民路1-99号", "人民路90号起"])))
    assert "units[5].areas 中的“人民路90号起”与 units[5].areas 中的“人民路1-99号”重叠" in message


def test_ranges_that_only_touch_or_lie_on_opposite_sides_are_fine():
    config(("东城街道", ["人民路1-99号", "解放路1-99号单号"]), ("南城街道", ["人民路100号起", "解放路2-98号双号"]))
    assert "重叠" in config_error(district(("东城街道", ["人民路1-99号单号"]), ("南城街道", ["人民路99号"])))


@pytest.mark.parametrize("written, says", [
    ("人民路300-100号", "门牌号起止颠倒，请写成“人民路100-300号”"),
    ("100-300号", "缺少路名"),
])
def test_a_malformed_range_names_the_key_and_how_to_write_it(written, says):
    message = config_error(district(("东城街道", ["东城", written])))
    assert message.startswith(f"config.yaml：配置项 units[5].areas 中的“{written}”") and says in message, message


# ---- territory: the unit's own name first ------------------------------------------------------

def test_the_unit_named_in_the_address_beats_a_road_of_another_unit():
    # 人民路88号 lies in 东城街道 (人民路1-99号); the clerk sends 南城街道人民路88号 to 南城街道.
    assert area("人民路88号").value == "东城街道"
    decision = area("南城街道人民路88号")
    assert (decision.value, decision.why) == ("南城街道", "地址含“南城街道”")
    assert area("南城街道办事处对面").why == "地址含“南城街道办事处”"     # an alias, the longest named


def test_an_address_naming_two_units_is_ambiguous_and_names_both():
    decision = area("东城街道与南城街道交界处的人民路120号")
    assert decision.value is None
    assert decision.candidates == ("东城街道", "南城街道")
    assert decision.why == "地址同时写了东城街道、南城街道"


# ---- territory: the most specific place -----------------------------------------------------

def test_a_longer_road_that_contains_a_configured_one_waits_for_the_clerk():
    cfg = config(("东城街道", ["东城", "人民路"]), ("青山镇", ["青山"]))
    decision = area("新人民路15号仓库", cfg)
    assert decision.value is None and decision.candidates == ("东城街道",)
    assert decision.why == "地址中“新人民路”与配置的“人民路”可能不是同一条路，请核对"
    assert area("东城人民路15号", cfg).value == "东城街道"         # a place before the road is no prefix
    assert area("新人民路与人民路交叉口", cfg).value == "东城街道"   # the road itself named too
    both = config(("东城街道", ["人民路"]), ("青山镇", ["新人民路"]))
    assert area("新人民路15号", both).value == "青山镇"             # the configured longer road wins


def test_the_longest_place_word_wins():
    cfg = config(("东城街道", ["东城", "人民路"]), ("青山镇", ["青山", "东城村", "幸福小区"]))
    assert area("东城村3组", cfg).why == "地址含“东城村”"
    assert area("东城村3组", cfg).value == "青山镇"
    assert area("人民路8号幸福小区", cfg).value == "青山镇"       # a 小区 is more specific than a road


def test_a_road_across_a_boundary_goes_by_house_number_on_both_sides():
    for address, unit in (("人民路1号", "东城街道"), ("人民路99号", "东城街道"), ("人民路100号", "南城街道"),
                          ("人民路１２０号", "南城街道"), ("人民路88-2号", "东城街道"), ("人民路一百二十号", "南城街道"),
                          ("人民路350号院", "南城街道")):
        assert area(address).value == unit, address
    assert area("人民路120号").why == "人民路120号属“人民路100号起”"


def test_a_house_number_range_beats_the_same_roads_bare_name():
    cfg = config(("东城街道", ["人民路"]), ("南城街道", ["人民路100-300号"]))
    assert area("人民路120号", cfg).value == "南城街道"
    assert area("人民路50号", cfg).value == "东城街道"     # the bare name is the rest of the road
    assert area("人民路500号", cfg).value == "东城街道"


def test_a_road_without_a_number_or_shared_bare_is_ambiguous():
    decision = area("人民路烧烤店门口")
    assert decision.value is None and decision.candidates == ("东城街道", "南城街道")
    assert decision.why == "地址“人民路”同时属于 东城街道、南城街道"
    cfg = config(("东城街道", ["人民路"]), ("南城街道", ["人民路"]))
    assert area("人民路88号", cfg).candidates == ("东城街道", "南城街道")


def test_place_words_that_agree_on_one_unit_decide_together():
    # 人民路 without a number could be either side; 南环路 and 解放路 each lie in one.
    assert (area("南环路与人民路交叉口").value, area("南环路与人民路交叉口").why) == ("南城街道", "地址含“南环路”")
    assert area("人民路与解放路交叉口往北").value == "东城街道"
    assert area("人民路东湖花园").value == "东城街道"
    # a house number in its range is more specific than a whole other road
    assert area("人民路120号解放路口").value == "南城街道"


def test_a_house_number_outside_every_range_says_so():
    cfg = config(("东城街道", ["人民路1-99号"]), ("南城街道", ["人民路100-300号"]))
    decision = area("人民路500号", cfg)
    assert decision.value is None and decision.candidates == ("东城街道", "南城街道")
    assert decision.why == "“人民路500号”不在配置的门牌号范围内"


def test_one_side_of_the_road():
    cfg = config(("东城街道", ["解放路单号"]), ("西城街道", ["解放路1-999号单号"]), ("南城街道", ["解放路2-998号双号"]))
    assert area("解放路37号", cfg).value == "西城街道"
    assert area("解放路38号", cfg).value == "南城街道"


def test_equally_specific_words_of_two_units_are_ambiguous():
    decision = area("东湖南门之间")
    assert decision.value is None and decision.candidates == ("东城街道", "南城街道")
    assert decision.why == "地址含“东湖”（东城街道）、“南门”（南城街道）"
    assert area("不详").why == "事发地址未匹配到镇街"


# ---- industry ------------------------------------------------------------------------------

def test_industry_from_the_reported_company_first():
    decision = infer_industry("站内员工抽烟，消防通道堵塞", "城南加油站", SAMPLE)
    assert (decision.value, decision.why) == ("危险化学品", "被举报单位含“加油站”")
    assert infer_industry("公司食堂用液化气", "华兴燃气有限公司", SAMPLE).value == "燃气"
    assert infer_industry("宿舍群租", "宏达建筑公司", SAMPLE).value == "建筑施工"


def test_industry_from_the_content_only_when_exactly_one_matches():
    assert infer_industry("餐馆液化气瓶软管老化", "好再来餐馆", SAMPLE).value == "燃气"
    decision = infer_industry("餐馆液化气瓶放在消防通道里", "好再来餐馆", SAMPLE)
    assert decision.value is None and decision.candidates == ("燃气", "消防")
    assert decision.why == "内容同时涉及燃气、消防"
    assert infer_industry("有人违规作业", "某公司", SAMPLE).why == "未识别行业"


def test_a_company_naming_two_industries_is_settled_by_the_content():
    cfg = config(("东城街道", ["东城"]))
    decision = infer_industry("储罐泄漏", "化工燃气公司", cfg)
    assert (decision.value, decision.why) == ("危险化学品", "被举报单位含“化工”，举报内容含“储罐”")
    assert infer_industry("有人违规作业", "化工燃气公司", cfg).candidates == ("危险化学品", "燃气")


# ---- route: the order, the reasons, the candidates ------------------------------------------------

NONE = given(None, "行业领域")


def test_the_clerks_unit_then_industry_then_territory():
    industry, territory = given("燃气", "行业领域"), area("南城街道人民路88号")
    assert route("住建局", industry, territory, SAMPLE).value == "区住房和城乡建设局"
    assert route(None, industry, territory, SAMPLE).value == "区城市管理局"
    assert route(None, NONE, territory, SAMPLE).value == "南城街道"
    assert route(None, NONE, area("不详"), SAMPLE).why == "无法确定行业和属地"
    assert route("区宣传部", industry, territory, SAMPLE).value is None


def test_a_typed_industry_beats_the_words_in_the_complaint():
    # 行业领域 typed by the clerk: the content's 工地 does not enter into it.
    decision = route(None, given("特种设备", "行业领域"), area("东城街道"), SAMPLE)
    assert (decision.value, decision.note) == ("区市场监督管理局", "行业 特种设备（行业领域已填）")


def test_the_reason_notes_are_short():
    assert route(None, NONE, area("南城街道人民路88号"), SAMPLE).note == "属地 南城街道（地址含“南城街道”）"
    assert route(None, NONE, area("人民路120号"), SAMPLE).note == "属地 南城街道（人民路120号属“人民路100号起”）"
    assert route(None, NONE, given("青山镇", "所属镇街"), SAMPLE).note == "属地 青山镇（所属镇街已填）"
    industry = infer_industry("工地脚手架没有连墙件", "宏达公司", SAMPLE)
    assert route(None, industry, NONE, SAMPLE).note == "行业 建筑施工（举报内容含“工地、脚手架”）"
    assert route("住建局", industry, NONE, SAMPLE).note == ""        # the clerk's choice needs no reason


def test_industries_one_unit_governs_alone_go_to_it():
    decision = route(None, infer_industry("化工厂车间里", "某公司", SAMPLE), NONE, SAMPLE)
    assert decision.value == "区应急管理局"
    assert decision.note == "行业 危险化学品、工贸（均由区应急管理局主管）"


def test_unassigned_names_every_candidate_it_hesitated_between():
    decision = route(None, infer_industry("液化气瓶放在消防通道", "某店", SAMPLE), area("人民路"), SAMPLE)
    assert decision.value is None
    assert decision.candidates == ("区城市管理局", "区消防救援大队", "东城街道", "南城街道")
    assert decision.why == "内容同时涉及燃气、消防；地址“人民路”同时属于 东城街道、南城街道"


def test_territory_first_when_the_config_says_so():
    cfg = config_from({**district(("东城街道", ["东城"])), "routing": {"order": ["clerk", "territory", "industry"]}},
                      Path("config.yaml"))
    decision = route(None, given("燃气", "行业领域"), infer_area("东城街道", cfg), cfg)
    assert decision.value == "东城街道"


# ---- end to end: the register, 备注 and the summary ---------------------------------------------

def summary_of(ws, day="2026-11-30") -> str:
    return (ws.root / "outbox" / day / "每日汇总.txt").read_text(encoding="utf-8")


def test_daily_routes_as_the_clerk_reads_and_writes_why(ws):
    quiet = "有人长期违规作业"   # no industry words
    first = ws.add(**complaint(举报内容=quiet, 被举报单位="某商店", 事发地址="南城街道人民路88号"))
    second = ws.add(**complaint(举报内容=quiet, 被举报单位="某仓库", 事发地址="人民路１２０号"))
    third = ws.add(**complaint(举报内容="站内有人抽烟", 被举报单位="城南加油站", 事发地址="东湖路"))
    assert ws.run("daily") == 0
    assert ws.row(first)["承办单位"] == "南城街道" and ws.row(first)["状态"] == "已交办"
    assert "〔归口：属地 南城街道（地址含“南城街道”）〕" in ws.row(first)["备注"]
    assert ws.row(second)["承办单位"] == "南城街道" and ws.row(second)["所属镇街"] == "南城街道"
    assert "〔归口：属地 南城街道（人民路120号属“人民路100号起”）〕" in ws.row(second)["备注"]
    assert ws.row(third)["承办单位"] == "区应急管理局" and ws.row(third)["行业领域"] == "危险化学品"
    assert "〔归口：行业 危险化学品（被举报单位含“加油站”）〕" in ws.row(third)["备注"]


def test_daily_unassigned_cases_name_their_candidates_and_the_summary_groups_them(ws):
    quiet = "有人长期违规作业"
    one = ws.add(**complaint(举报内容=quiet, 被举报单位="某商店", 事发地址="人民路"))
    two = ws.add(**complaint(举报内容=quiet, 被举报单位="某饭店", 事发地址="人民路东侧"))
    ws.add(**complaint(举报内容=quiet, 被举报单位="某仓库", 事发地址="不详"))
    assert ws.run("daily") == 0
    for row in (one, two):
        case = ws.row(row)
        assert (case["承办单位"], case["状态"]) == (None, "待分派")
        assert "〔待分派：地址“人民路”同时属于 东城街道、南城街道，请填写承办单位〕" in case["备注"]
        assert "〔归口" not in case["备注"]
    text = summary_of(ws)
    assert "待分派 3 件" in text
    section = text.split("【待分派，请填写承办单位】（3）\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "  在 东城街道、南城街道 之间（2）：",
        "    AJ2026-0001：地址“人民路”同时属于 东城街道、南城街道｜某商店｜人民路",
        "    AJ2026-0002：地址“人民路”同时属于 东城街道、南城街道｜某饭店｜人民路东侧",
        "  无候选单位（1）：",
        "    AJ2026-0003：无法确定行业和属地｜某仓库｜不详",
    ]
    # The clerk picks one: the case is referred and the 待分派 note goes, with no 归口 reason.
    ws.edit(one, 承办单位="南城街道")
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    case = ws.row(one)
    assert case["状态"] == "已交办" and case["备注"] is not None
    assert "待分派" not in case["备注"] and "归口" not in case["备注"]
    assert "待分派 2 件" in summary_of(ws, "2026-12-01")


def test_a_reason_goes_when_the_clerk_reassigns_and_stays_on_later_runs(ws):
    row = ws.add(**complaint(举报内容="有人长期违规作业", 被举报单位="某商店", 事发地址="青山镇石桥村"))
    assert ws.run("daily") == 0
    assert "〔归口：属地 青山镇（地址含“青山镇”）〕" in ws.row(row)["备注"]
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    assert "〔归口：属地 青山镇（地址含“青山镇”）〕" in ws.row(row)["备注"]
    ws.edit(row, 承办单位="区应急管理局")
    assert ws.run("daily", now="2026-12-02 09:00") == 0
    notes = ws.row(row)["备注"]
    assert "由青山镇改派区应急管理局" in notes and "归口" not in notes


def test_reasons_are_stable_run_after_run(ws):
    rows = [ws.add(**complaint(举报内容="化工厂车间里乱堆桶", 被举报单位="某公司", 事发地址="东湖路")),
            ws.add(**complaint(举报内容="有人长期违规作业", 被举报单位="某商店", 事发地址="南环路与人民路交叉口"))]
    assert ws.run("daily") == 0
    first = [ws.row(r)["备注"] for r in rows]
    assert "〔归口：行业 危险化学品、工贸（均由区应急管理局主管）〕" in first[0]
    assert "〔归口：属地 南城街道（地址含“南环路”）〕" in first[1]
    before = ws.register.read_bytes()
    assert ws.run("daily", now="2026-11-30 11:00") == 0
    assert ws.register.read_bytes() == before
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    assert [ws.row(r)["备注"] for r in rows] == first


def test_a_typed_industry_is_not_overruled_by_the_content(ws):
    row = ws.add(**complaint(行业领域="特种设备", 举报内容="工地塔吊和施工电梯无人维保"))
    assert ws.run("daily") == 0
    assert ws.row(row)["承办单位"] == "区市场监督管理局"
    assert "〔归口：行业 特种设备（行业领域已填）〕" in ws.row(row)["备注"]


def test_daily_and_check_refuse_overlapping_ranges_naming_the_keys(ws, capsys):
    ws.set_config("areas: [南城, 人民路100号起,", "areas: [南城, 人民路50-150号,")
    for command in ("daily", "check"):
        assert ws.run(command) == 2, command
        err = capsys.readouterr().err
        assert re.search(r"配置项 units\[9\]\.areas 中的“人民路50-150号”与 units\[7\]\.areas 中的“人民路1-99号”重叠",
                         err), err
