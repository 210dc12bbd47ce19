import sys

from tipdesk.cli import main

sys.exit(main())
