"""E-mail: composing from jinja2 templates (compose), delivering by SMTP or as .eml files with
the mail ledger that makes each (case, stage) go once (deliver), and the daily mail step that
ties contacts, the reminder ladder and delivery together (dispatch). May import store, rules,
xlsx, config and domain; not intake or output.
"""
