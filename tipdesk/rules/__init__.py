"""Decisions, pure: the daily plan (plan, apply), routing, deadlines, the reminder ladder,
contacts and statistics. They take data (rows, config, the clock, journal state passed in)
and return data (cell changes, reminders, figures); they never open a file or a database.
May import config and domain only.
"""
