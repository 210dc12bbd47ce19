"""Names fixed by the contract (DESIGN.md, "The register"): headers, allowed values, labels."""

CASE_ID = "案件编号"
RECEIVED_AT = "受理时间"
SOURCE = "来源"
UPSTREAM_NO = "上级编号"
UPSTREAM_DEADLINE = "上级期限"
REPORTER = "举报人"
REPORTER_CONTACT = "联系方式"
SUBJECT = "被举报单位"
ADDRESS = "事发地址"
AREA = "所属镇街"
INDUSTRY = "行业领域"
CONTENT = "举报内容"
CATEGORY = "类别"
UNIT = "承办单位"
LETTER_NO = "交办文号"
REFERRED_AT = "交办时间"
DEADLINE = "办理期限"
STATUS = "状态"
CHASE_LOG = "催办记录"
FEEDBACK_AT = "反馈时间"
VERIFIED = "是否属实"
RESULT = "处理结果"
OVERDUE = "是否超期"
REPLIED = "回复举报人"
NOTES = "备注"
ACKNOWLEDGED_AT = "签收时间"
CALLED_BACK_AT = "回访时间"
CALL_BACK_RESULT = "回访结果"
REPORTED_UP_AT = "上报时间"

REGISTER_SHEET = "台账"
REGISTER_COLUMNS = (
    CASE_ID, RECEIVED_AT, SOURCE, UPSTREAM_NO, UPSTREAM_DEADLINE, REPORTER, REPORTER_CONTACT,
    SUBJECT, ADDRESS, AREA, INDUSTRY, CONTENT, CATEGORY, UNIT, LETTER_NO, REFERRED_AT,
    DEADLINE, STATUS, CHASE_LOG, FEEDBACK_AT, VERIFIED, RESULT, OVERDUE, REPLIED, NOTES,
    ACKNOWLEDGED_AT, CALLED_BACK_AT, CALL_BACK_RESULT, REPORTED_UP_AT,
)
# Added to the contract later: `daily` appends them to a register that lacks them, after its
# last used column; a register missing any other contract column is refused.
LATER_COLUMNS = (ACKNOWLEDGED_AT, CALLED_BACK_AT, CALL_BACK_RESULT, REPORTED_UP_AT)
# Columns that hold dates; they are real Excel dates, never text.
DATE_COLUMNS = (RECEIVED_AT, UPSTREAM_DEADLINE, REFERRED_AT, DEADLINE, FEEDBACK_AT, ACKNOWLEDGED_AT,
                CALLED_BACK_AT, REPORTED_UP_AT)
# Columns whose text runs long: wrapped in their cells, and the row sized to show it.
LONG_TEXT_COLUMNS = (SUBJECT, ADDRESS, CONTENT, CHASE_LOG, RESULT, NOTES)
# Columns that identify the reporter: they never leave the register.
REPORTER_COLUMNS = (REPORTER, REPORTER_CONTACT)

URGENT, GENERAL, ACCIDENT = "紧急", "一般", "事故"
CATEGORIES = (URGENT, GENERAL, ACCIDENT)


def normal_category(value: object) -> str:
    """A category as typed, in its contract form: "一般类", " 一般 " -> "一般" (maybe still invalid)."""
    return "".join(str(value or "").split()).removesuffix("类")

SOURCES = ("12350热线", "国家转办", "省转办", "市转办", "来信", "来访", "网络", "其他")
UPSTREAM_SOURCES = ("国家转办", "省转办", "市转办")

UNASSIGNED = "待分派"
REFERRED = "已交办"
IN_PROGRESS = "办理中"
EXTENSION_REQUESTED = "申请延期"
RETURN_REQUESTED = "申请退回"
CLOSED = "已办结"
# Set by the clerk: a closure not accepted (referred again), and three ways to close a case
# without referral.
REDO = "退回重办"
NOT_ACCEPTED = "不予受理"
TRANSFERRED = "已转办"
MERGED = "已并案"
STATUSES = (UNASSIGNED, REFERRED, IN_PROGRESS, EXTENSION_REQUESTED, RETURN_REQUESTED, CLOSED,
            REDO, NOT_ACCEPTED, TRANSFERRED, MERGED)
# With the unit, chased, counted open.
OPEN_STATUSES = (REFERRED, IN_PROGRESS, EXTENSION_REQUESTED, RETURN_REQUESTED)
# Closed without a unit's answer: never chased, counted apart.
CLOSED_WITHOUT_REFERRAL = (NOT_ACCEPTED, TRANSFERRED, MERGED)
CALL_BACK_RESULTS = ("满意", "基本满意", "不满意", "未联系上")

VERIFIED_VALUES = ("属实", "部分属实", "不属实")
YES, NO = "是", "否"

CONTACTS_SHEET = "联络人"
CONTACT_COLUMNS = (
    "单位", "单位类型", "分管领导", "分管领导电话", "科长", "科长电话", "经办人", "经办人电话",
    "电子邮箱", "联络单状态", "更新时间",
)

# Optional 联络人 columns `init` adds after the contract's: the liaison form has one 电子邮箱
# (the 经办人's); with these the 科长 is copied and a 督办 reaches the 分管领导 in person.
CONTACT_EXTRA_COLUMNS = ("科长邮箱", "分管领导邮箱")
# 联络单状态 values.
LIAISON_RETURNED = "已报送"
LIAISON_MISSING = "未报送"
LIAISON_DEFAULTED = "默认由单位办公室负责"

# Feedback sheet (反馈表): each label in a cell, the answer in the nearest cell to its right.
FEEDBACK_SHEET = "反馈表"
FEEDBACK_LABELS = (
    "案件编号", "承办单位", "核查情况", "是否属实", "处理结果", "办理状态", "申请延期至",
    "申请理由", "经办人", "联系电话", "办结日期",
)
FEEDBACK_STATES = ("已办结", "阶段性反馈", "申请延期", "申请退回")

# Place words too vague to call two complaints the same (typed when the reporter did not know).
VAGUE_PLACES = frozenset({"不详", "不清楚", "未知", "无", "匿名", "某单位", "某公司", "某小区", "某工地"})


# The hidden sheet that tells the intake which case and which issued sheet a file is.
MARKER_SHEET = "_tipdesk"


MARKER_FORMAT = "tipdesk-feedback-v1"


MARKER_KEYS = ("format", "case_id", "letter_no", "unit", "sheet_id", "issued_at")
