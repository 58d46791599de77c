"""The PySide6 + pyqtgraph desktop application. Imports trainers, never the reverse."""
