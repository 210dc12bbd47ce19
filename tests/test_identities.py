"""Identities the register knows, in every writing, and where a text holds one
(tipdesk/domain/identities.py): what the egress gate checks against."""

import pytest

from tipdesk.domain.identities import Identities
from tipdesk.domain.redact import MARKER

ROWS = [
    {"案件编号": "C1", "举报人": "王志远", "联系方式": "0571-8765 4321；微信 wzy_2026",
     "举报内容": "身份证33010619900307123X，QQ 5566778899"},
    {"案件编号": "C2", "举报人": "李秀兰女士", "联系方式": "幺三九一一一一二二二二"},
    {"案件编号": "C3", "举报人": "陈国栋", "联系方式": "+86 137-2222-3333 / chen.gd@qq.com"},
    {"案件编号": "C4", "举报人": "匿名", "联系方式": "", "举报内容": "另一位群众手机 15011112222"},
]


@pytest.fixture(scope="module")
def known():
    return Identities(["区住房和城乡建设局", "0571-12345678", "区应急管理局指挥中心"]).add_rows(ROWS)


@pytest.mark.parametrize("text,case", [
    ("王志远来电", "C1"), ("王 志 远", "C1"), ("王　志　远", "C1"),
    ("8765 4321", "C1"), ("0571-87654321", "C1"), ("+86 571 8765 4321", "C1"), ("八七六五四三二一", "C1"),
    ("ＷＺＹ＿２０２６", "C1"), ("wzy-2026", "C1"), ("330106 19900307 123x", "C1"), ("扣扣5566778899", "C1"),
    ("李秀兰", "C2"), ("139 1111 2222", "C2"), ("+8613911112222", "C2"), ("１３９－１１１１－２２２２", "C2"),
    ("陈国栋", "C3"), ("幺三七 二二二二 三三三三", "C3"), ("CHEN.GD@QQ.COM", "C3"), ("chen gd @ qq . com", "C3"),
    ("15011112222", "C4"),  # a number typed in the text is an identity too, whoever it is
])
def test_every_writing_of_an_identity_names_its_case(known, text, case):
    assert known.cases_in(text) == {case}
    assert MARKER in known.redact(text)


@pytest.mark.parametrize("text", [
    "区住房和城乡建设局", "联系电话：0571-12345678", "东城街道人民路88号", "2026-12-01 08:30",
    "AJ2026-0001", "拨打12345热线", "邮编310012", "20261201", "王先生", "志远", "李女士",
    "施工单位", "12987654321",  # 87654321 inside a longer number is another number
])
def test_ordinary_text_and_weak_forms_of_other_cases_pass(known, text):
    assert known.cases_in(text) == set()


@pytest.mark.parametrize("text,case", [("王老师说", "C1"), ("王工", "C1"), ("志远说", "C1"), ("李女士", "C2"),
                                       ("李师傅", "C2"), ("陈总经理", "C3")])
def test_weak_forms_count_in_their_own_case(known, text, case):
    # In another case's letter 王老师 is anybody; in C1's own letter it is the reporter.
    assert known.cases_in(text, own={case}) == {case}
    assert known.cases_in(text, own={"C9"}) == set()


def test_a_form_the_units_publish_is_theirs_not_the_reporters():
    # The reporter shares a name with the unit's handler in 联络人: that name is not blocked.
    known = Identities(["郑丽", "0571-88886666"]).add_rows(
        [{"案件编号": "C1", "举报人": "郑丽", "联系方式": "0571-88886666"}])
    assert known.cases_in("经办人郑丽，电话88886666") == set()


def test_archived_rows_are_just_more_rows(known):
    known = Identities().add_rows(ROWS).add_rows([{"案件编号": "C0", "举报人": "赵老四", "联系方式": "18600001111"}])
    assert known.cases_in("赵老四 186-0000-1111") == {"C0"}


def test_redact_row_hides_another_cases_reporter_in_address_and_unit(known):
    row = {"案件编号": "C5", "举报人": "孙丽", "被举报单位": "陈国栋五金店", "事发地址": "王志远家隔壁仓库",
           "举报内容": "可以问李秀兰，139-1111-2222"}
    safe = known.redact_row(row)
    assert safe["被举报单位"] == f"{MARKER}五金店" and safe["事发地址"] == f"{MARKER}家隔壁仓库"
    assert "李秀兰" not in safe["举报内容"] and "2222" not in safe["举报内容"]
    assert safe["举报人"] == "孙丽"  # redact_case still needs it


def test_a_hidden_identity_is_cut_out_exactly_where_it_was_written():
    # The canonical twin drops spaces, dashes and line breaks; each hit is mapped back to the
    # text as written, so redaction replaces exactly the identity, however it was spaced, and
    # wherever it stands in a long text (a day's summary of many runs).
    import random

    known = Identities().add_rows([{"案件编号": "AJ1", "举报人": "王建国", "联系方式": "13812345678"}])
    rng = random.Random(3)
    fillers = ["工地", " ", "\n", "-", "（", "）", "·", "AJ2026-00001：", "区应急管理局｜"]
    writings = ["王建国", "王 建 国", "王-建-国", "138 1234 5678", "138-1234-5678", "１３８１２３４５６７８",
                "一三八一二三四五六七八"]
    for _ in range(200):
        before = "".join(rng.choice(fillers) for _ in range(rng.randrange(0, 400)))
        after = "".join(rng.choice(fillers) for _ in range(rng.randrange(0, 40)))
        writing = rng.choice(writings)
        # An identity must not run on into digits or letters of its neighbours to count.
        text = before + "，" + writing + "。" + after
        assert known.redact(text) == before + "，" + MARKER + "。" + after, text


def test_a_text_found_clean_is_checked_again_once_the_register_knows_more():
    # A text is remembered as clean (a summary is redacted, then checked on its way out):
    # a reporter added after that must still be found in it, by the check and by redaction.
    identities = Identities(["区应急管理局"]).add_rows(ROWS[:1])
    text = "今日交办：东城街道人民路88号仓库堆放杂物，举报人赵海峰来电。"
    assert identities.cases_in(text) == set() and identities.redact(text) == text
    assert identities.cases_in(text) == set()  # asked again: the same answer
    identities.add_row({"案件编号": "C9", "举报人": "赵海峰", "联系方式": "13800001111"})
    assert identities.cases_in(text) == {"C9"}
    assert "赵海峰" not in identities.redact(text)
    # Clean for any case, 赵先生 still names the reporter in the text of his own case.
    assert identities.cases_in("赵先生来电") == set()
    assert identities.cases_in("赵先生来电", {"C9"}) == {"C9"}
