"""`python -m tipdesk` (what ./run and run.bat start): the command line.

A finished command leaves at once. Everything it wrote is closed by then (files, the
journal, the cache, child processes waited for); tearing the interpreter down would free
every object and module one by one, a tenth of a second after a daily run."""

import os
import sys

from tipdesk.cli import main

code = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except OSError:  # the output went to a program that stopped reading (| more)
    pass
os._exit(code)
