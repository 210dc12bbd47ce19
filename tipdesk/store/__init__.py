"""Where state lives on disk: the register (read it, and write changes back safely: backup,
temp file, read-back check, atomic replace), the SQLite journal (every table tipdesk keeps,
and the state others read from it), the egress gate every outgoing file and mail passes
(egress), the archive workbooks and the cache of their rows (archive, cache), the
workspace lock and file-name helpers. May import
rules, xlsx, config and domain.
"""
