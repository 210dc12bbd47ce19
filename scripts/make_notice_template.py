"""Build templates/督办通知.docx, the Word template of the escalation notice (督办通知).

Run from the repository root:  .venv/bin/python scripts/make_notice_template.py

A 督办 reminder goes to the unit's 分管领导 with this notice attached, numbered
安举督〔2026〕1号 (`reminders.escalation_number`). Like the letter (make_letter_template.py,
whose page, styles and helpers this reuses) it is generated so the layout is reviewable and
the bytes reproducible; the office may reword it in Word or WPS as long as the {{ ... }} tags
survive (`check` tries it).

GB/T 9704-2012: A4, the red 版头 (issuing office, 发文字号, red rule), title 二号, 主送, body
三号 on a 28.95 pt grid, the cases one paragraph each, 落款 and 成文日期, page numbers
"— 1 —". Tags (see tipdesk/mail/compose.py, notice_document): letterhead, number, unit,
escalate_after, items (case_id, category, subject, letter_no, deadline, timing), leader,
centre_name, centre_phone, centre_email, date.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


# The letter's page, styles and helpers, loaded by path: scripts/ is not a package.
_spec = importlib.util.spec_from_file_location(
    "make_letter_template", Path(__file__).resolve().parent / "make_letter_template.py")
letter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(letter)

OUTPUT = Path(__file__).resolve().parent.parent / "templates" / "督办通知.docx"
NOTICE_TITLE = "安全生产举报事项督办通知"
NOTICE = "《关于进一步加强安全生产举报受理处置工作的通知》"


def write_body(doc) -> None:
    letter.letterhead(doc, "{{ number }}")
    letter.title(doc, NOTICE_TITLE)
    letter.body(doc, "{{ unit }}：", indent=False)
    letter.body(doc, f"根据{NOTICE}“跟踪督办”的要求，你单位承办的下列安全生产举报事项已超过办理期限"
                     "{{ escalate_after }}个工作日以上，至今未反馈办理情况：")
    letter.control(doc, "{%p for item in items %}")
    letter.body(doc, "（{{ loop.index }}）{{ item.case_id }}，{{ item.category }}类，"
                     "被举报单位：{{ item.subject or \"—\" }}，交办文号：{{ item.letter_no or \"—\" }}，"
                     "办理期限：{{ item.deadline }}，{{ item.timing }}。")
    letter.control(doc, "{%p endfor %}")
    letter.body(doc, "请{% if leader %}{{ leader }}同志{% else %}你单位分管领导{% endif %}督促承办科室立即调查处理，"
                     "尽快将办理情况反馈{{ centre_name }}；确需延期的，请按规定在反馈表中申请延期并说明理由。"
                     "举报问题的调查处理情况将纳入安全生产考核。").paragraph_format.keep_with_next = True
    letter.centre_closing(doc)


def build() -> bytes:
    return letter.build_document(letter.setup_styles, write_body)


def main() -> int:
    return letter.save(OUTPUT, build)


if __name__ == "__main__":
    sys.exit(main())
