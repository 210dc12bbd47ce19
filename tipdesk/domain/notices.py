"""Notices: each decision of the centre that a unit must be told of, as data.

The daily plan (rules/plan.py, rules/apply.py) makes a `Notice` per decision; the journal
keeps it (numbered where an office numbers such letters) until the mail ledger has delivered
it; mail/compose.py writes it from the templates named here (a workspace's own
templates/mail/notice_<stem>_subject.j2 and _body.j2 win over the package's).
"""

from __future__ import annotations

from dataclasses import dataclass

# The referral mail: once per 交办文号 (a case referred to a unit again gets a new one), its
# ledger rows keyed by LETTER_KEY + the 交办文号.
REFERRAL = "交办"
LETTER_KEY = "文号:"
WITHDRAWAL = "撤回"            # the old unit after 改派, or a case closed without referral
EXTENSION_REPLY = "延期批复"    # extension request granted (new deadline) or refused
RETURN_REPLY = "退回批复"       # return request granted (case reassigned) or refused
SHEET_RETURNED = "反馈表退回"   # a returned sheet that could not be taken, every fault listed
REDO = "重新办理"              # a closure not accepted (退回重办): new 交办文号 and deadline
CORRECTION = "期限更正"         # a deadline moved because a year's calendar changed, or the category
# The detail of a 期限更正 caused by a category change (not a calendar): "类别:紧急".
CATEGORY_CHANGE = "类别:"

# kind -> (template stem, numbered like an office letter)
NOTICE_KINDS: dict[str, tuple[str, bool]] = {
    WITHDRAWAL: ("withdrawal", True),
    EXTENSION_REPLY: ("extension_reply", True),
    RETURN_REPLY: ("return_reply", True),
    SHEET_RETURNED: ("sheet_returned", False),
    REDO: ("redo", True),
    CORRECTION: ("correction", False),
}
GRANTED, REFUSED = "同意", "不同意"
# The title of each notice's document (templates/通知函.docx), as an office would head it.
NOTICE_TITLES = {
    WITHDRAWAL: "关于撤回安全生产举报事项交办的通知",
    EXTENSION_REPLY: "关于安全生产举报事项延期申请的批复",
    RETURN_REPLY: "关于安全生产举报事项退回申请的批复",
    SHEET_RETURNED: "关于退回安全生产举报事项办理情况反馈表的通知",
    REDO: "关于安全生产举报事项重新办理的通知",
    CORRECTION: "关于更正安全生产举报事项办理期限的通知",
}


@dataclass(frozen=True)
class Notice:
    """One decision for one unit about one case."""

    kind: str
    case_id: str
    unit: str
    letter_no: str = ""        # the 交办文号 it concerns (for 撤回, the one now void)
    old: str = ""              # before: a deadline (ISO text) or a unit
    new: str = ""              # after: a deadline (ISO text) or a unit
    decision: str = ""         # 同意 / 不同意, for the two replies
    detail: str = ""           # the reason, the faults (one a line), the years of a calendar
    attachment_name: str = ""  # the returned sheet carried back
    attachment: bytes = b""
