"""Word documents' byte layer: .docx templates compiled once and rendered (docxtpl), the
office's fonts applied to their styles, and packages made reproducible and impersonal.

May import config and domain only. Beside `xlsx/` in the layers: `output/` (letters,
bulletins) and `mail/` (the 督办通知 a reminder carries) both render through it, and neither
may import the other.
"""
