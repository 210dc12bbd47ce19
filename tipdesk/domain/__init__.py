"""The vocabulary of the desk, with no I/O: register columns, statuses and notes (columns,
notes), the register and what arrives as plain data (rows, arrivals), the working-day
calendar, text and date normalisation (textnorm), place words and house numbers of addresses
(places), redaction of reporters (redact) and every identity the register knows
(identities), and the one exception type (errors). Imports
nothing else of tipdesk; everything else may import it.
"""
