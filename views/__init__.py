"""Every Qt widget of the studio; the only package that imports PySide6 and pyqtgraph."""
