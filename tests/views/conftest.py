"""Qt tests run offscreen: the platform is chosen here, before anything imports Qt."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
