"""`check`: validate config, register, templates and contacts; change nothing, say what is wrong."""

from __future__ import annotations

from datetime import date, datetime

from tipdesk.domain.columns import (
    CASE_ID, CATEGORIES, CATEGORY, CLOSED, CONTENT, RECEIVED_AT, CONTACT_COLUMNS, CONTACTS_SHEET, DATE_COLUMNS,
    OVERDUE, REGISTER_SHEET, SOURCE, SOURCES, STATUS, STATUSES, UNIT, VERIFIED, VERIFIED_VALUES,
    NO, YES, normal_category,
)
from tipdesk.config import Config
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.store.lock import unwritable_places
from tipdesk.store.register import read_register
from tipdesk.domain.rows import header_key
from tipdesk.domain.textnorm import parse_when
from tipdesk.xlsx.package import column_letter
from tipdesk.rules.contacts import split_emails
from tipdesk.domain.columns import CALL_BACK_RESULT, CALL_BACK_RESULTS
from tipdesk.rules.dates import impossible_dates
from tipdesk.domain.launcher import RUN

ALLOWED = {SOURCE: SOURCES, STATUS: STATUSES, VERIFIED: VERIFIED_VALUES, OVERDUE: (YES, NO),
           CALL_BACK_RESULT: CALL_BACK_RESULTS}


def register_problems(config: Config, now: datetime) -> tuple[list[str], list[str]]:
    """(problems, notes): what daily would refuse or flag, by cell, and what it would only
    tidy (a text date it turns into a date, 一般类 it writes 一般), so check and daily agree."""
    register = read_register(config.register)
    name = config.register.name
    problems, notes, seen = [], list(register.notes), {}

    def where(row: int, column: str) -> str:
        return f"{name} 工作表“{REGISTER_SHEET}” 单元格 {column_letter(register.columns[column])}{row}（{column}）"

    for row in register.rows:
        for column, allowed in ALLOWED.items():
            value = row.get(column)
            if value not in (None, "") and str(value).strip() not in allowed:
                problems.append(f"{where(row.number, column)}：“{value}”无效，应为 {'/'.join(allowed)} 之一。")
        category = row.get(CATEGORY)
        if category not in (None, "") and normal_category(category) not in CATEGORIES:
            problems.append(f"{where(row.number, CATEGORY)}：“{category}”无效，应为 {'/'.join(CATEGORIES)} 之一。")
        elif category not in (None, "") and str(category) != normal_category(category):
            notes.append(f"{where(row.number, CATEGORY)}：“{category}”，daily 会写成“{normal_category(category)}”。")
        dates = dict(row.values)
        for column in DATE_COLUMNS:
            value = row.get(column)
            if value is None or isinstance(value, (datetime, date)):
                continue
            try:
                when = parse_when(value, today=now.date())
                notes.append(f"{where(row.number, column)}：“{value}”是文字不是日期，daily 会自动改为日期。")
                dates[column] = when.at if when else None
            except ValueError:
                problems.append(f"{where(row.number, column)}：“{value}”不是日期，请改为 2026-12-03 14:30 这样的日期。")
                dates[column] = None
        case_id = str(row.get(CASE_ID) or "").strip()
        status = str(row.get(STATUS) or "").strip()
        if status != CLOSED:
            for column, text in impossible_dates(dates, now, new=not case_id).items():
                tail = "本行不会编号和交办，请改正。" if not case_id else "请核对改正。"
                problems.append(f"{where(row.number, column)}：{text}，{tail}")
        unit = str(row.get(UNIT) or "").strip()
        if unit and not config.unit_named(unit):
            problems.append(f"{where(row.number, UNIT)}：“{unit}”不在 config.yaml 的 units 中，请改正或在配置中添加。")
        if case_id:
            if case_id in seen:
                problems.append(f"{where(row.number, CASE_ID)}：编号“{case_id}”与第{seen[case_id]}行重复。")
            seen[case_id] = row.number
        for column in (RECEIVED_AT, CONTENT):
            if not row.get(column):
                problems.append(f"{where(row.number, column)}：为空，本行不会编号和交办，请补全。")
        if status == CLOSED and not row.get("反馈时间"):
            problems.append(f"{where(row.number, '反馈时间')}：已办结的案件缺少反馈时间。")
    problems += contact_problems(config, register)
    return problems, notes


def contact_problems(config: Config, register) -> list[str]:
    if CONTACTS_SHEET not in register.sheets:
        return [f"{config.register.name}：缺少工作表“{CONTACTS_SHEET}”（各单位联络人），请运行 {RUN} init 参照新台账补上。"]
    grid = register.sheets[CONTACTS_SHEET].grid
    header = [header_key(v) for v in (grid[0] if grid else [])]
    missing = [c for c in CONTACT_COLUMNS if c not in header]
    if missing:
        return [f"{config.register.name} 工作表“{CONTACTS_SHEET}”第 1 行缺少列：{'、'.join(missing)}。"]
    problems = []
    col_unit, col_mail = header.index("单位"), header.index("电子邮箱")
    for number, values in enumerate(grid[1:], start=2):
        unit = str(values[col_unit] or "").strip() if col_unit < len(values) else ""
        mail = str(values[col_mail] or "").strip() if col_mail < len(values) else ""
        if unit and not config.unit_named(unit):
            problems.append(f"{config.register.name} 工作表“{CONTACTS_SHEET}” 单元格 "
                            f"{column_letter(col_unit + 1)}{number}：单位“{unit}”不在 config.yaml 的 units 中。")
        if mail and split_emails(mail)[1]:
            problems.append(f"{config.register.name} 工作表“{CONTACTS_SHEET}” 单元格 "
                            f"{column_letter(col_mail + 1)}{number}：电子邮箱“{mail}”格式有误。")
    return problems


SAMPLE_CASE = {"案件编号": "AJ2026-0001", "受理时间": datetime(2026, 1, 5, 9, 0), "来源": "12350热线",
               "被举报单位": "示例公司", "事发地址": "示例地址", "举报内容": "示例内容", "类别": "一般",
               "承办单位": "示例单位", "交办文号": "示例〔2026〕1号", "办理期限": datetime(2026, 1, 14, 23, 59)}


SAMPLE_NOTICE = {"unit": "示例单位", "number": "安举督〔2026〕1号", "escalate_after": 2, "leader": "",
                 "date": "2026年1月20日", "items": [{"case_id": "AJ2026-0001", "category": "一般", "subject": "示例公司",
                                                     "letter_no": "示例〔2026〕1号", "deadline": "2026年1月14日",
                                                     "timing": "已超期4个工作日"}]}


def _word_problem(path, context: dict, render) -> str | None:
    """What is wrong with one Word template, or None: it must render, using only known tags."""
    from docxtpl import DocxTemplate

    if not path.is_file():
        return f"模板 {path} 不存在，请从代码仓库的 templates/ 复制一份。"
    try:
        unknown = DocxTemplate(str(path)).get_undeclared_template_variables() - set(context)
        render()
    except Exception as exc:  # any template fault is the office's to fix, in Word
        return f"模板 {path.name} 无法使用：{exc}。请检查 {{{{ }}}} 标记是否完整，或从代码仓库恢复原模板。"
    if unknown:
        return (f"模板 {path.name} 中的 {'、'.join('{{ ' + u + ' }}' for u in sorted(unknown))} 无法填写，"
                f"可用的有：{'、'.join(sorted(context))}。")
    return None


def template_problems(config: Config) -> list[str]:
    """Every template a document or mail comes from must work: an office may have edited the
    Word templates' tags in Word, or a mail template in Notepad."""
    import jinja2

    from tipdesk.mail.compose import NOTICE_TEMPLATE, UNIT_NOTICE_TEMPLATE, notice_document, unit_notice_document
    from tipdesk.output.bulletin import bulletin_context, bulletin_template, render_bulletin
    from tipdesk.output.issuing import letter_template
    from tipdesk.output.referral import referral_context, referral_letter
    from tipdesk.rules.stats import parse_period, period_stats

    at = datetime(2026, 1, 20, 9, 0)
    documents = config.documents
    letter = letter_template(config)
    context = referral_context(SAMPLE_CASE, config.centre, datetime(2026, 1, 5, 9, 0), config.deadlines, documents)
    notice = documents.template(NOTICE_TEMPLATE)
    notice_context = {**SAMPLE_NOTICE, "centre": config.mail.centre, "letterhead": "", "centre_name": "",
                      "centre_phone": "", "centre_email": ""}
    bulletin = bulletin_template(config)
    stats = period_stats([], parse_period("2026-01"), at)
    problems = [
        _word_problem(letter, context, lambda: referral_letter(context, letter, documents.fonts)),
        _word_problem(notice, notice_context, lambda: notice_document(config.mail, SAMPLE_NOTICE, at)),
        _word_problem(documents.template(UNIT_NOTICE_TEMPLATE), {**notice_context, "title": "", "paragraphs": []},
                      lambda: unit_notice_document(config.mail, "撤回", {"unit": "示例单位", "number": "示例〔2026〕1号",
                                                                       "date": "2026年1月20日"},
                                                   "示例单位：\n\n　　示例正文。\n", at)),
        _word_problem(bulletin, bulletin_context(stats, config.centre, config.deadlines, documents),
                      lambda: render_bulletin(stats, config.centre, bulletin, config.deadlines, documents)),
    ]
    env = jinja2.Environment()
    for path in sorted((config.root / "templates" / "mail").glob("*.j2")):
        try:
            env.parse(path.read_text(encoding="utf-8-sig"))
        except (jinja2.TemplateSyntaxError, UnicodeDecodeError) as exc:
            problems.append(f"邮件模板 templates/mail/{path.name} 有误：{exc}。请改正，或删除它以使用内置模板。")
    return [p for p in problems if p]


def run_check(config: Config, now: datetime) -> int:
    print(f"配置文件 {config.path.name}：正确（{len(config.units)} 个承办单位）。")
    problems, notes = template_problems(config) + unwritable_places(config), []
    try:
        found, notes = register_problems(config, now)
        problems += found
    except TipdeskError as exc:
        problems.append(exc.message)
    if notes:
        print(f"提示（daily 会自动处理，不算问题，{len(notes)} 处）：")
        for note in notes:
            print(f"  - {note}")
    if not problems:
        print(f"台账 {config.register.name}：未发现问题。")
        return 0
    print(f"发现 {len(problems)} 个问题：")
    for problem in problems:
        print(f"  - {problem}")
    return EXIT_USAGE
