import sys

from courtside.server.cli import main

sys.exit(main())
