"""Text that changes many times a second without laying out the window anew."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


class StatusLine(QWidget):
    """A label whose height is fixed at `lines` lines of text, whatever its text. QLabel.setText asks every
    layout above it to lay out anew, and the window then repainted whole: at every training step, every label
    and button of the Train tab (and at every frame of a lab, twenty times a second). This one repaints its own
    rectangle only. One line is elided to fit, more lines wrap at words; text that does not fit is in the
    tooltip whole."""

    def __init__(self, text: str = "", parent=None, lines: int = 1):
        super().__init__(parent)
        self._text, self.lines = text, lines
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAutoFillBackground(True)  # opaque: the widgets behind it are not painted again with it

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.setToolTip(text if self._cut_short() else "")
            self.update()

    def _cut_short(self) -> bool:
        metrics = self.fontMetrics()
        if self.lines == 1:
            return metrics.horizontalAdvance(self._text) > self.width()
        return metrics.boundingRect(self.rect(), self._flags(), self._text).height() > self.height()

    def _flags(self) -> int:
        if self.lines == 1:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap)

    def sizeHint(self) -> QSize:
        return QSize(120, self.lines * self.fontMetrics().lineSpacing() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.sizeHint().height())

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        text = self._text
        if self.lines == 1:
            text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), self._flags(), text)
