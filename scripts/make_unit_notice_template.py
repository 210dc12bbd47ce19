"""Build templates/通知函.docx, the Word template of the centre's notices to a unit: 撤回,
延期批复, 退回批复, 反馈表退回, 重新办理, 期限更正 (tipdesk/domain/notices.py).

Run from the repository root:  .venv/bin/python scripts/make_unit_notice_template.py

Each notice goes as a mail and carries this document, the one a unit files (and the one
printed for a unit without e-mail). Like the 督办通知 (make_notice_template.py, whose
helpers this reuses) it follows GB/T 9704-2012 on A4: the red 版头 with the number, the
title, 主送, the body paragraphs, 落款, 成文日期, page numbers. The wording comes from the
notice's mail template (templates/mail/notice_*_body.j2), so the office rewords a notice in
one place. Tags: letterhead, number, title, unit, paragraphs, centre_name, centre_phone,
centre_email, date.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "make_letter_template", Path(__file__).resolve().parent / "make_letter_template.py")
letter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(letter)

OUTPUT = Path(__file__).resolve().parent.parent / "templates" / "通知函.docx"


def write_body(doc) -> None:
    letter.letterhead(doc, "{{ number }}")
    letter.title(doc, "{{ title }}")
    letter.body(doc, "{{ unit }}：", indent=False)
    letter.control(doc, "{%p for paragraph in paragraphs %}")
    letter.body(doc, "{{ paragraph }}")
    letter.control(doc, "{%p endfor %}")
    letter.centre_closing(doc)


def build() -> bytes:
    return letter.build_document(letter.setup_styles, write_body)


def main() -> int:
    return letter.save(OUTPUT, build)


if __name__ == "__main__":
    sys.exit(main())
