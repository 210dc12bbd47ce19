"""How the clerk starts tipdesk on this machine: `run.bat` on Windows, `./run` elsewhere.

Help texts and examples name the launcher the clerk actually types; examples quote with
double quotes, which both cmd.exe and a Unix shell group into one argument.
"""

from __future__ import annotations

import os

RUN = "run.bat" if os.name == "nt" else "./run"
