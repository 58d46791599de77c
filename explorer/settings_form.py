"""A settings form built from a family's documented config dataclass (trainers.settings)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from trainers.settings import SettingInfo, describe_config

INT_LIMIT = 2**31 - 1
HIDDEN = ("precision",)  # a machine's concern, chosen automatically; still settable from the CLI


def _widget_for(info: SettingInfo) -> QWidget:
    if info.kind is bool:
        widget = QCheckBox()
        widget.setChecked(bool(info.default))
    elif info.choices:
        widget = QComboBox()
        for choice in info.choices:
            widget.addItem(str(choice), choice)
        widget.setCurrentIndex(list(info.choices).index(info.default))
    elif info.kind is int:
        widget = QSpinBox()
        widget.setRange(
            int(max(info.low if info.low is not None else -INT_LIMIT, -INT_LIMIT)),
            int(min(info.high if info.high is not None else INT_LIMIT, INT_LIMIT)),
        )
        widget.setValue(int(info.default))
    elif info.kind is float:
        widget = QDoubleSpinBox()
        widget.setDecimals(6)
        widget.setRange(info.low if info.low is not None else -1e9, info.high if info.high is not None else 1e9)
        widget.setSingleStep(abs(info.default) / 10 if info.default else 0.1)
        widget.setValue(float(info.default))
    elif info.kind is str:
        widget = QLineEdit(str(info.default))
        widget.setClearButtonEnabled(True)
    else:
        raise TypeError(f"no widget for a {info.kind.__name__} setting")  # every config field is one of the above
    widget.setToolTip(info.doc)
    return widget


def _value_of(widget: QWidget):
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, QLineEdit):
        return widget.text().strip()
    return widget.value()


def _set_value(widget: QWidget, value) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex(max(widget.findData(value), 0))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))
        widget.setCursorPosition(0)
    else:
        widget.setValue(value)


class SettingsForm(QWidget):
    """One row per setting of `config_class`, each with its documentation as a tooltip."""

    edited = Signal(str, object)  # a setting's name and new value (spin boxes: once typing is done)

    def __init__(self, config_class: type | None = None, parent=None):
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.widgets: dict[str, QWidget] = {}
        self.infos: dict[str, SettingInfo] = {}
        if config_class is not None:
            self.build(config_class)

    def build(self, config_class: type) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.widgets, self.infos = {}, {}
        for info in describe_config(config_class):
            if info.advanced or info.name in HIDDEN:
                continue
            widget = _widget_for(info)
            self._watch(info.name, widget)
            self.widgets[info.name], self.infos[info.name] = widget, info
            self.layout_.addRow(info.name.replace("_", " "), widget)

    def _watch(self, name: str, widget: QWidget) -> None:
        def say(*_):
            self.edited.emit(name, _value_of(widget))

        if isinstance(widget, QCheckBox):
            widget.toggled.connect(say)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(say)
        elif isinstance(widget, QLineEdit):
            widget.editingFinished.connect(say)
        else:
            widget.setKeyboardTracking(False)  # one change when typing ends, not one per keystroke
            widget.valueChanged.connect(say)

    def enable_only(self, names) -> None:
        """While a run trains: only the settings it can take between steps stay editable."""
        for name, widget in self.widgets.items():
            widget.setEnabled(name in names)

    def values(self) -> dict:
        return {name: _value_of(w) for name, w in self.widgets.items()}

    def changed_values(self) -> dict:
        """Only what differs from the defaults: a run's config then records what the user chose."""
        return {name: v for name, v in self.values().items() if v != self.infos[name].default}

    def set_values(self, values: dict) -> None:
        for name, value in values.items():
            if name in self.widgets:
                _set_value(self.widgets[name], value)
