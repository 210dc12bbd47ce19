"""Run tipdesk and SIGKILL it at one point of its work, as a power cut would.

    python tests/tools/killer.py FILE_SUFFIX FUNCTION EVENT NTH -- tipdesk arguments…

FILE_SUFFIX and FUNCTION name a Python function (e.g. store/journal.py record_intent);
EVENT is `call` or `return`; the process dies at its NTH such event. Nothing of tipdesk
is replaced: a profile hook watches from outside and pulls the plug.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> int:
    suffix, function, event, nth = sys.argv[1:5]
    assert sys.argv[5] == "--"
    args, count = sys.argv[6:], [0]

    def watch(frame, what, arg):
        code = frame.f_code
        if what == event and code.co_name == function and code.co_filename.endswith(suffix):
            count[0] += 1
            if count[0] == int(nth):
                os.kill(os.getpid(), signal.SIGKILL)

    from tipdesk.cli import main as tipdesk

    sys.setprofile(watch)
    return tipdesk(args)


if __name__ == "__main__":
    sys.exit(main())
