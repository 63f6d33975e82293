"""Entry point of the desktop bundle: the ``ncstudio`` command, window and command line alike."""

import sys

from views.launch import main

if __name__ == "__main__":
    sys.exit(main())
