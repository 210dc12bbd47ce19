"""Who at each unit receives referrals and reminders: the 联络人 sheet, with the notice's rule.

Notice 四(五): units return the liaison form (联络单) by 1月24日 (`liaison.deadline`); "如逾期
未报送，将视为此项工作由该单位办公室负责". So after that day a unit whose 联络单状态 is not
已报送 is handled by its office (config `units[].office`). Before that day a unit's contacts
from an earlier form still serve; a unit with none at all also goes to its office, because
mail has to go somewhere, and the contact says so (`by_office`, `note`) for the summary.

The contract's sheet has one 电子邮箱 column, for the handler (经办人). A clerk may add the
optional columns 科长邮箱 and 分管领导邮箱 (extra columns are allowed): then the 科长 is
copied and a 督办 goes to the leader's own address; without them the unit's address is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Mapping, Sequence

from tipdesk.config import Config
from tipdesk.domain.columns import LIAISON_DEFAULTED, LIAISON_MISSING, LIAISON_RETURNED
from tipdesk.domain.textnorm import EMAIL_SEPARATORS, is_email_address

CHIEF_EMAILS = "科长邮箱"
LEADER_EMAILS = "分管领导邮箱"

_FIELDS = {  # Contact attribute -> 联络人 header
    "kind": "单位类型", "leader": "分管领导", "leader_phone": "分管领导电话", "chief": "科长",
    "chief_phone": "科长电话", "handler": "经办人", "handler_phone": "经办人电话",
    "status": "联络单状态",
}


@dataclass(frozen=True)
class Contact:
    unit: str
    kind: str = ""
    leader: str = ""
    leader_phone: str = ""
    chief: str = ""
    chief_phone: str = ""
    handler: str = ""
    handler_phone: str = ""
    emails: list[str] = field(default_factory=list)
    leader_emails: list[str] = field(default_factory=list)
    chief_emails: list[str] = field(default_factory=list)
    status: str = LIAISON_MISSING
    by_office: bool = False            # the unit's office stands in (see module docstring)
    note: str = ""                     # why, in Chinese, for the summary
    invalid_emails: list[str] = field(default_factory=list)


def split_emails(value: Any) -> tuple[list[str], list[str]]:
    """(valid, invalid) addresses from a cell holding several, separated by ;；,，、 or spaces."""
    valid, invalid = [], []
    for token in EMAIL_SEPARATORS.split(_cell(value).replace("＠", "@")):
        token = token.strip("<>()（）")
        if not token:
            continue
        (valid if is_email_address(token) else invalid).append(token)
    return list(dict.fromkeys(valid)), invalid


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into Excel as a number
    return str(value).strip()


def _squash(text: Any) -> str:
    return "".join(_cell(text).split())


def _read_rows(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    headers = [_squash(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        values = {h: row[i] if i < len(row) else None for i, h in enumerate(headers) if h}
        if _cell(values.get("单位")):
            out.append(values)
    return out


def _updated(values: Mapping[str, Any]) -> datetime:
    value = values.get("更新时间")
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    return datetime.min


def _best_rows(rows: list[dict[str, Any]], config: Config) -> dict[str, dict[str, Any]]:
    """One row per unit (aliases resolved): a returned form before one that was not, then the
    latest 更新时间, then the lower row."""
    best: dict[str, tuple[tuple, dict[str, Any]]] = {}
    for index, values in enumerate(rows):
        known = config.unit_named(_cell(values["单位"]))
        name = known.name if known else _cell(values["单位"])
        rank = (_cell(values.get("联络单状态")) == LIAISON_RETURNED, _updated(values), index)
        if name not in best or rank > best[name][0]:
            best[name] = (rank, values)
    return {name: values for name, (_, values) in best.items()}


def _from_row(unit: str, values: Mapping[str, Any], kind: str) -> Contact:
    fields = {attr: _cell(values.get(header)) for attr, header in _FIELDS.items()}
    fields["kind"] = fields["kind"] or kind
    fields["status"] = fields["status"] or LIAISON_MISSING
    emails, bad = split_emails(values.get("电子邮箱"))
    leader_emails, bad_leader = split_emails(values.get(LEADER_EMAILS))
    chief_emails, bad_chief = split_emails(values.get(CHIEF_EMAILS))
    return Contact(unit=unit, emails=emails, leader_emails=leader_emails,
                   chief_emails=chief_emails, invalid_emails=bad + bad_leader + bad_chief, **fields)


def _office(unit: str, office: Mapping[str, str], base: Contact, note: str) -> Contact:
    """The unit's office as handler. Names from an unreturned form are dropped: the notice
    makes the office responsible, and a 督办 must not name a leader who may have moved on."""
    emails, bad = split_emails(office.get("email"))
    return Contact(unit=unit, kind=base.kind, handler=office.get("name") or "办公室",
                   handler_phone=office.get("phone", ""), emails=emails, status=base.status,
                   by_office=True, note=note, invalid_emails=bad)


def effective_contacts(rows: Sequence[Sequence[Any]], config: Config, today: date,
                       started: date | None = None) -> dict[str, Contact]:
    """Every configured unit (and any other unit named in the sheet) with the contact to use today.

    `rows` is the 联络人 sheet as a list of rows, row 0 the headers (any order, extra columns
    allowed); `started` the desk's first run (see LiaisonSettings.governing)."""
    deadline = config.liaison.governing(today, started)
    past_deadline = today > deadline
    deadline_text = f"{deadline.year}年{config.liaison.text}"
    found = _best_rows(_read_rows(rows), config)
    units = {u.name: u for u in config.units}
    out: dict[str, Contact] = {}
    for name in list(units) + [n for n in found if n not in units]:
        unit = units.get(name)
        kind, office = (unit.type, unit.office) if unit else ("", {})
        values = found.get(name)
        contact = _from_row(name, values, kind) if values else Contact(unit=name, kind=kind)
        returned = contact.status == LIAISON_RETURNED
        if past_deadline and not returned:
            contact = _office(name, office, contact,
                              f"{deadline_text}前未报送联络单，按通知视为由单位办公室负责")
        elif not contact.emails and not contact.handler:
            contact = _office(name, office, contact,
                              f"尚未报送联络单（{deadline_text}截止），暂由单位办公室接收")
        elif not contact.emails and split_emails(office.get("email"))[0]:
            contact = replace(contact, emails=split_emails(office["email"])[0],
                              note="联络单未填电子邮箱，邮件发往单位办公室邮箱")
        out[name] = contact
    return out


def contact_rows(grid: list[list[Any]], columns: dict[str, int]) -> dict[str, tuple[int, dict[str, Any]]]:
    """联络人 sheet: unit name as written -> (row number, values by header)."""
    out = {}
    for number, values in enumerate(grid[1:], start=2):
        row = {name: (values[col - 1] if col - 1 < len(values) else None) for name, col in columns.items()}
        unit = str(row.get("单位") or "").strip()
        if unit:
            out[unit] = (number, row)
    return out


def missing_units(config: Config, grid: list[list[Any]], columns: dict[str, int]) -> list[str]:
    """Units with no returned form (联络单状态 not 已报送)."""
    status = {}
    for name, (_, row) in contact_rows(grid, columns).items():
        unit = config.unit_named(name)
        if unit:
            status[unit.name] = str(row.get("联络单状态") or "").strip()
    return [u.name for u in config.units if status.get(u.name) != LIAISON_RETURNED]


def default_office_values(config: Config, unit_name: str, now: datetime) -> dict[str, Any]:
    """What the notice's default puts in a unit's 联络人 row: its office, from config."""
    unit = config.unit_named(unit_name)
    office = unit.office if unit else {}
    return {"单位": unit_name, "单位类型": unit.type if unit else "",
            "经办人": office.get("name") or "单位办公室", "经办人电话": office.get("phone", ""),
            "电子邮箱": office.get("email", ""), "联络单状态": LIAISON_DEFAULTED, "更新时间": now}


def without_bounced(contacts: dict[str, Contact], bounced: dict[str, tuple[str, str]]) -> dict[str, Contact]:
    """Contacts with the addresses a delivery status notification said failed taken out: a
    unit left without an address gets its mail on paper, until the clerk corrects the
    address in 联络人 (a new address has no bounce)."""
    if not bounced:
        return contacts
    out = {}
    for unit, contact in contacts.items():
        failing = [a for a in (*contact.emails, *contact.chief_emails, *contact.leader_emails) if a.lower() in bounced]
        if not failing:
            out[unit] = contact
            continue
        keep = lambda addresses: [a for a in addresses if a.lower() not in bounced]  # noqa: E731
        when = "、".join(f"{a}（{bounced[a.lower()][0][:10]}退信）" for a in failing)
        note = "，".join(filter(None, [contact.note, f"邮箱{when}，请在联络人表中更正"]))
        out[unit] = replace(contact, emails=keep(contact.emails), chief_emails=keep(contact.chief_emails),
                            leader_emails=keep(contact.leader_emails), note=note)
    return out


def unit_by_address(contacts: dict, address: str) -> str:
    """The unit whose 联络人 addresses (handler, chief, leader) include `address`."""
    address = (address or "").lower()
    for unit, contact in contacts.items():
        addresses = {a.lower() for a in (*contact.emails, *contact.chief_emails, *contact.leader_emails)}
        if address and address in addresses:
            return unit
    return ""
