"""Routing as the clerk reads a case: the areas a unit lists, roads with house-number ranges
among them, and how config refuses ranges that overlap.

Pure tests build a config the way load_config does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tipdesk.config import PACKAGE_TEMPLATES, config_from, load_config
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.places import house_numbers, parse_place
from tipdesk.rules.routing import infer_area

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
