"""Live curves: growing numpy series, grouped into stacked plots with their legends beside them.

A family names its groups (trainers.families.base.GanFamily.loss_groups); a name it does not
group goes by convention: accuracies together on a 0–1 axis, discriminator terms, generator
terms, the rest. A click on a legend entry hides or shows that curve.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

COLORS = [
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#800000",
    "#469990",
    "#000075",
    "#a9a9a9",
    "#bfef45",
]
NEW_CURVES_PER_REDRAW = 3  # creating a curve costs ~2 ms: a few per redraw keeps the first redraw short
ACCURACIES = "Accuracies"
MAX_POINTS_DRAWN = 2000  # about a screen's width: more only costs time at every redraw


class Series:
    """A growing (step, raw, smoothed) record in numpy arrays that double when full, so a redraw
    hands pyqtgraph views instead of converting ever longer lists (40k steps: 94 -> a few ms)."""

    def __init__(self, smoothing: float, capacity: int = 1024):
        self.smoothing = smoothing
        self.n = 0
        self._data = np.empty((3, capacity))  # rows: step, raw, smoothed

    def append(self, step: int, value: float) -> None:
        if self.n == self._data.shape[1]:
            self._data = np.concatenate([self._data, np.empty_like(self._data)], axis=1)
        last = self._data[2, self.n - 1] if self.n else value
        smooth = self.smoothing * last + (1 - self.smoothing) * value if math.isfinite(value) else last
        self._data[:, self.n] = step, value, smooth
        self.n += 1

    @property
    def steps(self) -> np.ndarray:
        return self._data[0, : self.n]

    @property
    def raw(self) -> np.ndarray:
        return self._data[1, : self.n]

    @property
    def smooth(self) -> np.ndarray:
        return self._data[2, : self.n]


CONVENTIONAL_ORDER = ["Discriminator", "Generator", "Other terms", ACCURACIES]


def conventional_group(name: str) -> str:
    """The group of a curve its family did not place: by the usual prefixes of GAN loss names."""
    lowered = name.lower()
    if "acc" in lowered:
        return ACCURACIES
    if lowered.startswith(("d_", "dis")):
        return "Discriminator"
    if lowered.startswith(("g_", "gen")):
        return "Generator"
    return "Other terms"


class CurvePanel(pg.GraphicsLayoutWidget):
    """Stacked plots sharing the step axis, one per group, each with its legend in a column beside it."""

    def __init__(self, smoothing: float, parent=None, title: str | None = None):
        super().__init__(parent)
        self.smoothing = smoothing
        self.title = title
        self.series: dict[str, Series] = {}
        self.items: dict[str, tuple] = {}
        self.has_new = False  # values added since the curves were last drawn
        self._points_drawn = 0  # points in every series together at the last redraw
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        self._declared: dict[str, str] = {}
        self._lines: dict[str, float] = {}
        self._line_items: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._group_order: list[str] = []

    def configure(self, groups: tuple = (), reference_lines: dict | None = None) -> None:
        """Declared groups ((title, names), ...) and reference values (e.g. a loss at equilibrium)."""
        self.clear_curves()
        self._declared = {name: title for title, names in groups for name in names}
        self._group_order = [title for title, _ in groups]
        self._lines = dict(reference_lines or {})

    @property
    def reference_lines(self) -> dict[str, float]:
        return dict(self._lines)

    def group_of(self, name: str) -> str:
        return self._declared.get(name) or conventional_group(name)

    @property
    def points(self) -> int:
        return sum(series.n for series in self.series.values())

    @property
    def new_share(self) -> float:
        """Points added since the last redraw over all points: how visibly a redraw would move the curves
        (one new point in a thousand does not show; a redraw of the whole panel costs 8-25 ms all the same)."""
        return (self.points - self._points_drawn) / max(self.points, 1)

    def add(self, step: int, values: dict) -> None:
        for name, value in values.items():
            self.series.setdefault(name, Series(self.smoothing)).append(step, value)
        self.has_new = self.has_new or bool(values)

    def _plot_for(self, group: str) -> pg.PlotItem:
        if group not in self.plots:
            row = len(self.plots)
            plot = self.addPlot(row=row, col=0, title=group)
            plot.setDownsampling(auto=True, mode="peak")  # long runs: about a screen width of points
            plot.setClipToView(True)
            plot.showGrid(y=True, alpha=0.2)
            if self.plots:
                plot.setXLink(next(iter(self.plots.values())))
            if group == ACCURACIES:
                plot.setYRange(0, 1, padding=0.02)
            legend = pg.LegendItem(labelTextSize="8pt")
            self.addItem(legend, row=row, col=1)
            self.plots[group], self.legends[group] = plot, legend
            self._draw_lines(group, plot)
        return self.plots[group]

    def _draw_lines(self, group: str, plot: pg.PlotItem) -> None:
        for name, value in self._lines.items():
            if self.group_of(name) == group:
                line = pg.InfiniteLine(
                    value,
                    angle=0,
                    pen=pg.mkPen("#888", style=pg.QtCore.Qt.PenStyle.DashLine),
                    label=f"{name} at equilibrium {value:.3f}",
                    labelOpts={"position": 0.5, "color": "#aaa", "anchors": [(0.5, 1), (0.5, 1)]},
                )
                plot.addItem(line)
                self._line_items.append((plot, line))

    def set_reference_lines(self, reference_lines: dict) -> None:
        """New reference values for the plots as they are (a loss changed mid-run): the curves stay."""
        if dict(reference_lines) == self._lines:
            return
        for plot, line in self._line_items:
            plot.removeItem(line)
        self._lines, self._line_items = dict(reference_lines), []
        for group, plot in self.plots.items():
            self._draw_lines(group, plot)

    def redraw(self) -> bool:
        """Curves up to date, a few new ones at a time; or, where a curve needs a plot not made yet, only that
        plot (~20 ms of the event loop), returning True."""
        for name in [n for n in self._ordered(self.series) if n not in self.items][:NEW_CURVES_PER_REDRAW]:
            if self.group_of(name) not in self.plots:
                self._plot_for(self.group_of(name))
                return True  # its curves at the next redraw: a plot and its curves at once paused the window ~40 ms
            color = COLORS[len(self.items) % len(COLORS)]
            plot = self._plot_for(self.group_of(name))
            faint = plot.plot(pen=pg.mkPen(pg.mkColor(color).lighter(160), width=1))
            bold = plot.plot(pen=pg.mkPen(color, width=2), name=None)
            legend = self.legends[self.group_of(name)]
            legend.addItem(bold, name)
            legend.items[-1][0].sigClicked.connect(self._on_legend_clicked)  # the sample toggles the bold curve
            self.items[name] = (faint, bold)
        for name, (raw, smooth) in self.items.items():
            series = self.series[name]
            every = -(-series.n // MAX_POINTS_DRAWN)  # a fast family logs thousands of steps a second
            raw.setData(series.steps[::every], series.raw[::every])
            smooth.setData(series.steps[::every], series.smooth[::every])
        self.has_new = False
        self._points_drawn = self.points
        # the axes follow the new data now: left to the paint, the new ranges asked for a second paint of the
        # whole panel right after the first (~8 ms each)
        self.scene().prepareForPaint()
        return False

    @property
    def has_undrawn(self) -> bool:
        """Some series still wait for their curves (a few are made per redraw)."""
        return len(self.items) < len(self.series)

    def _on_legend_clicked(self, bold) -> None:
        """The faint raw curve follows its bold smoothed one: hidden or shown together."""
        for faint, smooth in self.items.values():
            if smooth is bold:
                faint.setVisible(bold.isVisible())

    def _ordered(self, names) -> list[str]:
        """Declared groups first, in their order, so the stacked plots keep a stable layout."""
        order = self._group_order + [g for g in CONVENTIONAL_ORDER if g not in self._group_order]
        rank = {title: i for i, title in enumerate(order)}
        return sorted(names, key=lambda n: rank.get(self.group_of(n), len(rank)))

    def clear_curves(self) -> None:
        self.clear()
        self.series, self.items, self.plots, self.legends = {}, {}, {}, {}
        self._line_items = []
        self.has_new = False
        self._points_drawn = 0
