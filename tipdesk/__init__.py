"""tipdesk: the work-safety complaint desk of a district Emergency Management Bureau, in spreadsheets."""

__version__ = "0.1.0"
