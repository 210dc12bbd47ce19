"""`init` makes a workspace a good office keeps; `check` and config errors name what to fix."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tipdesk.cli import main
from tipdesk.domain.columns import CONTACT_COLUMNS, REGISTER_COLUMNS


def test_init_creates_a_formatted_register_and_never_overwrites(tmp_path, capsys):
    folder = tmp_path / "区应急局"
    assert main(["init", str(folder)]) == 0
    for name in ("config.yaml", "安全生产举报台账.xlsx", "templates/交办单.docx", "inbox", "outbox"):
        assert (folder / name).exists(), name
    wb = load_workbook(folder / "安全生产举报台账.xlsx")
    cases, contacts = wb["台账"], wb["联络人"]
    assert [c.value for c in cases[1]] == list(REGISTER_COLUMNS)
    assert [c.value for c in contacts[1]][:len(CONTACT_COLUMNS)] == list(CONTACT_COLUMNS)
    assert cases.freeze_panes == "A2" and cases.auto_filter.ref == "A1:AC1"
    assert cases.column_dimensions["L"].width == 48                        # 举报内容
    assert cases.column_dimensions["B"].number_format == "yyyy-mm-dd hh:mm"  # 受理时间
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in cases.data_validations.dataValidation
             if v.type == "list"}
    assert lists["C2"] == '"12350热线,国家转办,省转办,市转办,来信,来访,网络,其他"'
    assert lists["M2"] == '"紧急,一般,事故"'
    assert lists["R2"] == '"待分派,已交办,办理中,申请延期,申请退回,已办结,退回重办,不予受理,已转办,已并案"'
    assert lists["U2"] == '"属实,部分属实,不属实"'
    assert [r[0] for r in contacts.iter_rows(min_row=2, values_only=True)][:2] == ["区住房和城乡建设局", "区应急管理局"]
    config = (folder / "config.yaml").read_text(encoding="utf-8")
    assert "# tipdesk 配置文件" in config and "区住房和城乡建设局" in config and "青山镇" in config
    (folder / "config.yaml").write_text(config + "\n# 我的修改\n", encoding="utf-8")
    assert main(["init", str(folder)]) == 0
    assert (folder / "config.yaml").read_text(encoding="utf-8").endswith("# 我的修改\n")
    capsys.readouterr()
    assert main(["check", "--config", str(folder / "config.yaml")]) == 0
    assert "未发现问题" in capsys.readouterr().out


def test_config_errors_name_the_key_and_exit_2(ws, capsys):
    cases = [
        ("urgent_hours: 24", "urgent_hours: 二十四", "deadlines.urgent_hours"),
        ("industries: [危险化学品, 工贸, 非煤矿山]", "industries: [危险化学品, 火箭]", "units[2].industries"),
        ("extra_holidays: []", "extra_holidays: [明年元旦]", "calendar.extra_holidays[1]"),
        ("order: [clerk, industry, territory]", "order: [clerk, 随便]", "routing.order"),
        ("register: 安全生产举报台账.xlsx", "register: 台账.xls", "register"),
    ]
    original = ws.config_path.read_text(encoding="utf-8")
    for old, new, key in cases:
        ws.config_path.write_text(original.replace(old, new, 1), encoding="utf-8")
        assert ws.run("daily") == 2, key
        err = capsys.readouterr().err
        assert f"配置项 {key}" in err and err.startswith("错误：config.yaml"), err
    ws.config_path.write_text("centre: [oops\n", encoding="utf-8")
    assert ws.run("daily") == 2
    assert "格式有误" in capsys.readouterr().err
    ws.config_path.write_text(original.replace("extra_holidays: []", "extra_holidays: [2027-13-01]"), encoding="utf-8")
    assert ws.run("daily") == 2
    assert "无效的日期" in capsys.readouterr().err
    ws.config_path.write_bytes(original.replace("区应急管理局指挥中心", "区应急局").encode("gbk"))
    assert ws.run("daily") == 2
    assert "不是 UTF-8 编码" in capsys.readouterr().err


def test_check_names_the_sheet_and_cell(ws, capsys):
    from tests.conftest import complaint

    ws.add(**complaint(类别="很急", 来源="电话", 承办单位="区宣传部", 受理时间="上周五"))
    ws.add(**complaint(举报内容=None))
    assert ws.run("check") == 2
    out = capsys.readouterr().out
    assert "工作表“台账” 单元格 M2（类别）：“很急”无效" in out
    assert "单元格 C2（来源）：“电话”无效" in out
    assert "单元格 N2（承办单位）：“区宣传部”不在 config.yaml 的 units 中" in out
    assert "单元格 B2（受理时间）：“上周五”不是日期" in out
    assert "单元格 L3（举报内容）：为空，本行不会编号和交办" in out


def test_a_register_missing_columns_is_refused_with_exit_2(ws, capsys):
    wb = load_workbook(ws.register)
    wb["台账"].delete_cols(17)   # 办理期限
    wb.save(ws.register)
    assert ws.run("daily") == 2
    assert "第 1 行缺少列：办理期限" in capsys.readouterr().err


def test_bad_now_and_unknown_command_are_usage_errors(ws, capsys):
    assert ws.run("daily", now="明天早上") == 2
    assert "--now“明天早上”格式有误" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["dance"])
    assert exc.value.code == 2
    assert "参数有误" in capsys.readouterr().err


def test_an_old_xls_register_renamed_xlsx_is_refused_clearly(ws, capsys, tmp_path):
    import shutil
    import subprocess

    import pytest

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice 未安装")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/p", "--headless", "--convert-to", "xls",
                    "--outdir", str(tmp_path), str(ws.register)], check=True, capture_output=True, timeout=120)
    shutil.copy(tmp_path / ws.register.with_suffix(".xls").name, ws.register)
    before = ws.register.read_bytes()
    assert ws.run("daily") == 2
    assert "台账不是 .xlsx 格式" in capsys.readouterr().err
    assert ws.register.read_bytes() == before


@pytest.mark.parametrize("old, new, key", [
    ("warning_hours: 4 ", "warning_hours: 99 ", "reminders.warning_hours"),
    ('daily_at: "08:30"', 'daily_at: "25:00"', "watch.daily_at"),
    ('deadline: "01-24"', "deadline: 二月", "liaison.deadline"),
    ("mode: outbox", "mode: smtp", "mail.smtp.host"),
    ("password_env: TIPDESK_SMTP_PASSWORD", "password: 123456", "mail.smtp.password"),
    ("reminders:\n", "remindres:\n", "remindres"),
    ("  send_from:", "  sendfrom:", "reminders.sendfrom"),
    ("    type: 机关部门\n", "    typ: 机关部门\n", "units[1].typ"),
    ("centre:\n", "forwarded:\n  columns: {受理日期: [来电时间]}\ncentre:\n", "forwarded.columns.受理日期"),
])
def test_check_and_daily_refuse_the_same_configs(ws, capsys, old, new, key):
    # One reading of config.yaml serves every command: what check passes, daily accepts.
    ws.set_config(old, new)
    assert ws.run("check") == 2
    assert f"配置项 {key}" in capsys.readouterr().err
    assert ws.run("daily") == 2
    err = capsys.readouterr().err
    assert f"配置项 {key}" in err and err.startswith("错误：config.yaml"), err
    assert "123456" not in err
