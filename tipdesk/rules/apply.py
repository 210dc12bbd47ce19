"""Apply what came in through the inbox to the planned register (pure, like plan.py).

Feedback sheets change their case's row; liaison forms fill the 联络人 sheet; forwarded cases
become new rows at the bottom, which the daily plan then numbers, routes and refers like any
typed row. A file that cannot be applied is rejected with a reason the sender can act on;
one that needs the clerk's decision (feedback for a closed case) is held.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from tipdesk.domain import notes as N
from tipdesk.domain.columns import (
    ACCIDENT, CASE_ID, CATEGORY, CLOSED, CONTACT_COLUMNS, CONTACTS_SHEET, DEADLINE,
    EXTENSION_REQUESTED, FEEDBACK_AT, IN_PROGRESS, LETTER_NO, NO, NOTES, OVERDUE, REFERRED_AT, RESULT,
    RETURN_REQUESTED, STATUS, UNASSIGNED, UNIT, UPSTREAM_NO, VERIFIED, YES,
)
from tipdesk.rules.dates import answer_date_problems
from tipdesk.rules.deadlines import accident_followup
from tipdesk.domain.arrivals import FeedbackAnswer
from tipdesk.domain.arrivals import ForwardedCase
from tipdesk.domain.arrivals import LiaisonForm
from tipdesk.domain.arrivals import Arrival
from tipdesk.domain.notes import NOTE_EXTENSION, NOTE_RETURN
from tipdesk.domain.rows import Register, Row
from tipdesk.domain.columns import LIAISON_RETURNED
from tipdesk.config import Config
from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.domain.columns import ACKNOWLEDGED_AT
from tipdesk.domain.notices import SHEET_RETURNED, Notice
from tipdesk.domain.arrivals import FEEDBACK_KIND
from tipdesk.domain.columns import OPEN_STATUSES
from tipdesk.rules.acknowledge import Acknowledgement
from tipdesk.domain.launcher import RUN


class Planner(Protocol):
    """What applying needs of rules.plan.Planner (which calls this module: no import back)."""

    config: Config
    plan: Any  # rules.plan.Plan: applied feedback is listed in plan.feedback

    def edit_for(self, row: Row) -> Any: ...

    def contact_row(self, unit: str) -> int: ...

    def set_contact(self, number: int, values: dict[str, Any], why: str) -> None: ...


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def apply_arrivals(planner: Planner, register: Register, arrivals: list[Arrival],
                   issued_sheets: dict[str, dict], answered: set[str]) -> list[Row]:
    """Apply each arrival inside its own guard; returns the new rows forwarded cases need."""
    if not arrivals:
        return []  # most runs: no pass over every row for the look-ups below
    by_case = {str(r.get(CASE_ID) or "").strip(): r for r in register.rows if r.get(CASE_ID)}
    upstream = {str(r.get(UPSTREAM_NO)).strip() for r in register.rows if r.get(UPSTREAM_NO)}
    new_rows: list[Row] = []
    for arrival in arrivals:
        if arrival.previous:
            continue
        if not arrival.error:
            for item in arrival.items:
                if isinstance(item, FeedbackAnswer):
                    _feedback(planner, arrival, item, by_case, issued_sheets, answered)
                elif isinstance(item, LiaisonForm):
                    _liaison(planner, arrival, item, register)
                elif isinstance(item, ForwardedCase):
                    row = _forwarded(planner, arrival, item, register, upstream, len(new_rows))
                    if row:
                        new_rows.append(row)
        if arrival.error and not arrival.held and arrival.kind == FEEDBACK_KIND:
            _sheet_returned(planner, arrival)
    return new_rows


def _sheet_returned(planner: Planner, arrival: Arrival) -> None:
    """【反馈表退回】 to the unit the sheet was issued to: every fault, and the sheet itself
    when it carries no personal data. Without a marker the sender is unknown: the clerk sees
    the rejection in the summary."""
    answer = next((i for i in arrival.items if isinstance(i, FeedbackAnswer)), None)
    marker = arrival.marker or (answer.marker if answer else None) or {}
    case_id = marker.get("case_id") or (answer.case_id if answer else "")
    unit = marker.get("unit", "")
    if not case_id or not unit:
        return
    planner.plan.notices.append(Notice(
        SHEET_RETURNED, case_id, unit, letter_no=marker.get("letter_no", ""), detail=arrival.error or "",
        attachment_name=arrival.path.name if arrival.content else "", attachment=arrival.content))


# ---- feedback ---------------------------------------------------------------------------------

def _feedback(planner: Planner, arrival: Arrival, answer: FeedbackAnswer, by_case: dict[str, Row],
              issued_sheets: dict[str, dict], answered: set[str]) -> None:
    row = by_case.get(answer.case_id)
    if row is None:
        return arrival.reject(f"台账中没有案件“{answer.case_id}”。请核对反馈表上的案件编号（单元格 "
                              f"{answer.cells.get('案件编号', '')}），使用交办时随附的反馈表重新填报。")
    edit = planner.edit_for(row)
    status, unit = edit.text(STATUS), edit.text(UNIT)
    if status == CLOSED:
        return arrival.reject(f"【暂缓】案件{answer.case_id}已办结（反馈时间 {_when(edit.get(FEEDBACK_AT))}），这份反馈未自动应用。"
                              f"如需更正，请指挥中心核对后在台账中手工修改。", held=True)
    if status in ("", UNASSIGNED) or not edit.text(LETTER_NO):
        return arrival.reject(f"案件{answer.case_id}尚未交办，不能接收反馈。请指挥中心核对案件编号。")
    sender = planner.config.unit_named(answer.unit) if answer.unit else None
    if answer.unit and (sender is None or sender.name != unit):
        return arrival.reject(f"反馈表的承办单位是“{answer.unit}”，但案件{answer.case_id}交办给了“{unit}”"
                              f"（可能已改派）。请由{unit}填报，或与指挥中心联系。")
    marker = answer.marker
    if marker:
        issued = issued_sheets.get(marker.get("sheet_id", ""))
        if issued is None:
            return arrival.reject("这张反馈表不是本中心下发的（隐藏标记无法核对），"
                                  "请使用交办单随附的反馈表重新填报。")
        if marker.get("letter_no") != edit.text(LETTER_NO):
            return arrival.reject(f"这张反馈表对应的交办（{marker.get('letter_no')}）已作废，案件{answer.case_id}"
                                  f"现为{edit.text(LETTER_NO)}。请使用最新交办单随附的反馈表重新填报。")
    again = answer.case_id in answered
    edit.fed_back = True
    at = arrival.received_at
    why = f"反馈表 {arrival.path.name}"
    who = "、".join(x for x in (answer.handler, answer.phone) if x)
    history = f"{at:%Y-%m-%d %H:%M} 收到{answer.state}反馈" + (f"（{who}）" if who else "")
    if not edit.get(ACKNOWLEDGED_AT):
        edit.set(ACKNOWLEDGED_AT, at, f"{why}：单位已签收")  # an answer is an acknowledgement
    if answer.state == "已办结":
        edit.set(STATUS, CLOSED, why)
        edit.set(FEEDBACK_AT, at, why)
        edit.set(VERIFIED, answer.verified, why)
        edit.set(RESULT, "\n".join(x for x in (answer.findings, answer.result) if x), why)
        deadline = edit.get(DEADLINE)
        if isinstance(deadline, datetime):
            edit.set(OVERDUE, YES if at > deadline else NO, f"{why}：反馈时间与办理期限比较")
    elif answer.state == "阶段性反馈":
        edit.set(STATUS, IN_PROGRESS, why)
        if edit.text(CATEGORY) == ACCIDENT:
            # The accident was verified; the investigation now runs to the follow-up deadline.
            follow = accident_followup(at, planner.config.deadlines)
            edit.set(DEADLINE, follow, f"{why}：事故类核实后的后续办理期限")
            history += f"，后续期限至{follow:%Y-%m-%d}"
    elif answer.state == "申请延期":
        edit.set(STATUS, EXTENSION_REQUESTED, why)
        edit.note(NOTE_EXTENSION, f"申请延期至{answer.extend_to:%Y-%m-%d}，理由：{answer.reason}；"
                                  f"同意请把办理期限改为新日期并把状态改为办理中，不同意只把状态改为办理中")
    elif answer.state == "申请退回":
        edit.set(STATUS, RETURN_REQUESTED, why)
        edit.note(NOTE_RETURN, f"理由：{answer.reason}；请改填承办单位以改派，或把状态改为办理中")
    wrong = answer_date_problems(edit.get(REFERRED_AT), at, answer.closed_on,
                                 answer.extend_to if answer.state == "申请延期" else None)
    edit.note(N.NOTE_FEEDBACK_DATE, f"{'；'.join(wrong)}，请与{unit}核实" if wrong else None)
    if wrong:
        edit.find("clerk", f"反馈表日期存疑：{'；'.join(wrong)}（{arrival.path.name}），请与{unit}核实。")
    edit.set(NOTES, N.append_line(edit.get(NOTES), history), why)
    arrival.done.append(f"{answer.case_id} {answer.state}" + ("（此前已收到反馈，本次更新）" if again else "")
                        + (f"（日期存疑：{'；'.join(wrong)}）" if wrong else ""))
    answered.add(answer.case_id)
    planner.plan.feedback.append(FeedbackEvent(answer.case_id, answer.state, at, arrival.path.name, arrival.digest))


# ---- liaison forms ----------------------------------------------------------------------------

def _liaison(planner: Planner, arrival: Arrival, form: LiaisonForm, register: Register) -> None:
    sheet = register.sheets.get(CONTACTS_SHEET)
    if sheet is None or any(c not in sheet.columns for c in CONTACT_COLUMNS):
        return arrival.reject(f"台账缺少“{CONTACTS_SHEET}”工作表或其列名不全，联络单无法登记。"
                              f"请指挥中心按 {RUN} init 生成的新台账补上该工作表。", held=True)
    unit = planner.config.unit_named(form.unit)
    if unit is None:
        return arrival.reject(f"联络单上的单位“{form.unit}”不在承办单位名单中（工作表“{form.sheet}” "
                              f"{form.cells.get('单位', '')}）。请填写单位全称后重新发送。")
    number = planner.contact_row(unit.name)
    values = {"单位": unit.name, "单位类型": unit.type, "分管领导": form.leader, "分管领导电话": form.leader_phone,
              "科长": form.chief, "科长电话": form.chief_phone, "经办人": form.handler,
              "经办人电话": form.handler_phone, "电子邮箱": form.email, "联络单状态": LIAISON_RETURNED,
              "更新时间": arrival.received_at}
    planner.set_contact(number, values, f"联络单 {arrival.path.name}")
    arrival.done.append(f"{unit.name} 联络人已更新（经办人 {form.handler}）")


# ---- forwarded cases --------------------------------------------------------------------------

def _forwarded(planner: Planner, arrival: Arrival, case: ForwardedCase, register: Register,
               upstream: set[str], already: int) -> Row | None:
    number = str(case.values.get(UPSTREAM_NO) or "").strip()
    if number in upstream:
        arrival.done.append(f"上级编号 {number} 已在台账中，未重复登记")
        return None
    if number in planner.archived_upstream:
        arrival.done.append(f"上级编号 {number} 已在归档台账中（已办结归档），未重复登记")
        return None
    upstream.add(number)
    row_number = register.last_data_row + 1 + already
    row = Row(row_number, [], register.columns)
    edit = planner.edit_for(row)
    for column, value in case.values.items():
        if column in register.columns and value not in (None, ""):
            edit.set(column, value, f"上级转件 {arrival.path.name} 第{case.row}行")
    arrival.done.append(f"新增上级转件 {number}")
    return row


# ---- 签收 by reply mail ----------------------------------------------------------------------

def apply_acknowledgements(planner: Planner, register: Register, acknowledgements: list[Acknowledgement]) -> None:
    """A unit's reply to a referral fills 签收时间 of the cases it answers, once: only a case
    referred before the reply was sent, still open, and not acknowledged yet."""
    if not acknowledgements:
        return
    wanted = {a.case_id for a in acknowledgements}
    rows = {str(r.get(CASE_ID) or "").strip(): r for r in register.rows
            if r.raw(CASE_ID) and str(r.raw(CASE_ID)).strip() in wanted}
    for ack in sorted(acknowledgements, key=lambda a: a.at):
        row = rows.get(ack.case_id)
        if row is None:
            continue
        edit = planner.edit_for(row)
        referred = edit.get(REFERRED_AT)
        if (edit.get(ACKNOWLEDGED_AT) or not isinstance(referred, datetime) or ack.at < referred
                or edit.text(STATUS) not in OPEN_STATUSES):
            continue
        edit.set(ACKNOWLEDGED_AT, ack.at, ack.why)
