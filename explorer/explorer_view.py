"""The explorer: sliders built from the model's latent spec redraw the image and traversal strips live."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider, QLabeledSlider

from explorer.directions_panel import DirectionsFinder, DirectionsPanel
from explorer.image_input import ImageInputPanel
from explorer.imageview import ImagePane
from explorer.lab_view import KIND_VIEWS, NoisePad
from trainers.errors import UserFacingError
from trainers.families.base import ImageSamples
from trainers.images import make_grid, save_png, save_strip_animation
from trainers.latent import (
    SEED,
    CategoricalControl,
    ContinuousControl,
    DirectionControl,
    ImageControl,
    LatentSpec,
    NoiseControl,
)

STRIP_STEPS = 10  # values per traversal strip, as in the book's figures
# strips are drawn a few at a time, as many as fit in this time, so a new slider move never waits long behind
# them; fewer, larger chunks pay the generator's fixed cost (~1.7 ms a call) less often
STRIP_CHUNK_MS = 15.0
READ_AHEAD_AFTER_IDLE_MS = 80  # a drag sends events faster than this; a look at the result lasts longer
CLASS_STRIP, INTERPOLATION = "every class", "interpolation"  # strips beside the controls' (never a control's name)
PIN, MODE = "@pin", "@mode"  # changes that only the interpolation strip depends on
SCROLL = "@scroll"  # no strip depends on it: strips scrolled into view that were never drawn are drawn
# bfloat16 where the CPU computes it natively (AVX-512-BF16, AMX), float32 elsewhere: a 20-image strip chunk in
# 8 ms instead of 11 (a shipped 28x28 model), pixels within 1/255 of float32's but for 2-5% of them (at most 0.05)
DRAWING_PRECISION = "auto"
PAGES_KEPT = 6  # forms of controls kept for the slider layouts opened last: going back shows one, builds none


def control_caption(control, value: int = 0) -> str:
    """'code1 · thickness' when the model card measured what the control drives; 'class · Trouser' for a class
    control whose classes have names."""
    if isinstance(control, CategoricalControl) and control.class_names:
        return f"{control.label} · {control.class_name(value)}"
    if isinstance(control, ImageControl):
        return f"{control.label} in"
    about = f" · {control.attribute}" if getattr(control, "attribute", None) else ""
    kind = " (noise shift)" if isinstance(control, NoiseControl) else ""
    return f"{control.name}{kind}{about}"


def strip_caption(control) -> str:
    unit = "σ" if isinstance(control, DirectionControl) else ""
    return f"{control_caption(control)}: {control.low:g}{unit} → {control.high:g}{unit}"


def slider_layout(spec: LatentSpec) -> tuple:
    """What the explorer's widgets depend on: each control's kind and range, and which are traversed."""
    return (
        tuple(
            (
                type(c).__name__,
                c.name,
                getattr(c, "low", None),
                getattr(c, "high", None),
                getattr(c, "n", None),
                getattr(c, "class_names", None),
                getattr(c, "label", None),  # an image input says what it takes ("sketch", "photo")
                getattr(c, "height", None),
                getattr(c, "width", None),
            )
            for c in spec.controls
        ),
        tuple(c.name for c in spec.traversed),
    )


def strip_latents(spec: LatentSpec, control, values: dict) -> dict:
    """`control` swept over its range in STRIP_STEPS values, everything else as in `values`."""
    return spec.expand({**values, control.name: np.linspace(control.low, control.high, STRIP_STEPS)}, n=STRIP_STEPS)


def strip_plan(spec: LatentSpec, images: bool) -> list[tuple[str, str, frozenset]]:
    """Every strip the explorer shows for `spec`: (name, caption, the changes it does not depend on)."""
    plan = [(c.name, strip_caption(c), frozenset({c.name, PIN, MODE, SCROLL})) for c in spec.traversed]
    cat = spec.categorical
    if images and cat is not None:
        names = f"{cat.class_name(0)} → {cat.class_name(cat.n - 1)}"
        caption = f"this sample as every {cat.label}: {names}"
        plan.append((CLASS_STRIP, caption, frozenset({cat.name, PIN, MODE, SCROLL})))
    if images and spec.has_noise:
        plan.append((INTERPOLATION, "interpolation: the pinned sample → this one (P pins)", frozenset({SCROLL})))
    return plan


def strip_latents_by_name(spec: LatentSpec, name: str, values: dict, pinned: dict | None, spherical: bool) -> dict:
    """The latents of one strip; `pinned` (None: this sample with the next seed) starts the interpolation."""
    if name == CLASS_STRIP:
        return spec.class_row(values)
    if name == INTERPOLATION:
        if pinned is None:
            start = {**values, SEED: (int(values[SEED]) + 1) % 2**31}
        else:  # pinned before directions were found or replaced: their sliders may be gone
            start = {k: v for k, v in pinned.items() if k == SEED or k in {c.name for c in spec.controls}}
        return spec.interpolation(start, values, STRIP_STEPS, spherical)
    return strip_latents(spec, spec[name], values)


def likely_next(spec: LatentSpec, values: dict, strips: Callable[[dict], list[dict]]) -> list[dict]:
    """What the next (or previous) class would need: its image, then `strips(its values)`. Pure numpy, so
    the render thread can work it out when idle."""
    batches = []
    cat = spec.categorical
    if cat is not None:
        for step in (1, -1):
            near = {**values, cat.name: (values[cat.name] + step) % cat.n}
            batches.append(spec.expand(near, n=1))
            batches += strips(near)
    return batches


def rows(latents: dict) -> int:
    """How many samples a batch of latents holds."""
    return len(next(iter(latents.values())))


class ImageCache:
    """Generated images keyed by the exact latent arrays that made them, least recently used out.
    Going back to a digit or value already seen, or to a neighbour read ahead, costs no generator run."""

    def __init__(self, capacity: int = 512):
        self.capacity = capacity
        self.rows_generated = 0  # images the generator made in the last generate() (the rest were cached)
        self._model = None
        self._images: OrderedDict[bytes, np.ndarray] = OrderedDict()

    @staticmethod
    def key(latents: dict) -> bytes:
        return b"".join(name.encode() + np.ascontiguousarray(latents[name]).tobytes() for name in sorted(latents))

    def clear(self) -> None:
        self._images.clear()

    def use(self, model) -> None:
        if model is not self._model:  # new weights: nothing cached is valid any more
            self._model = model
            self._images.clear()

    def get(self, latents: dict) -> np.ndarray | None:
        k = self.key(latents)
        if k in self._images:
            self._images.move_to_end(k)
        return self._images.get(k)

    def put(self, latents: dict, images: np.ndarray) -> None:
        self._images[self.key(latents)] = images
        while len(self._images) > self.capacity:
            self._images.popitem(last=False)

    def generate(self, model, batches: list[dict]) -> list[np.ndarray]:
        """Images for each latent batch: cached ones as they are, the rest in one generator run."""
        self.use(model)
        found = [self.get(b) for b in batches]
        missing = [i for i, images in enumerate(found) if images is None]
        self.rows_generated = sum(rows(batches[i]) for i in missing)
        if missing:
            images = model.generate_arrays({k: np.concatenate([batches[i][k] for i in missing]) for k in batches[0]})
            start = 0
            for i in missing:
                found[i] = images[start : start + rows(batches[i])]
                start += rows(batches[i])
                self.put(batches[i], found[i])
        return found


class Renderer(QObject):
    """Runs the generator off the GUI thread, so the window never waits on TensorFlow. Only the
    newest request is worth computing; the main image goes out before the strips, and when no
    newer request has come for a moment (the user is looking), the likely next requests
    (neighbouring digits) are rendered ahead, one small batch per event-loop turn so that a real
    request never waits long behind them."""

    main_done = Signal(int, object)  # (token, one image)
    strips_done = Signal(int, object)  # (token, {strip name: images})
    read_ahead_done = Signal()  # everything likely next is in the cache
    model_built = Signal(object, str)  # (model, title) from weights sent by a training run
    model_opened = Signal(object, str)  # (model, path) read from disk
    open_failed = Signal(str, str)  # (path, one-line reason)
    _next_read_ahead = Signal(int)
    _next_strip_chunk = Signal(int)

    def __init__(self):
        super().__init__()
        self.latest = 0  # written by the GUI thread: older requests are skipped
        self.cache = ImageCache()
        self._token, self._model = 0, None
        self._likely_next = None  # () -> latent batches, worked out only once the user pauses
        self._read_ahead: list[dict] = []
        self._next_read_ahead.connect(self._read_ahead_one, Qt.ConnectionType.QueuedConnection)
        self._next_strip_chunk.connect(self._render_strip_chunk, Qt.ConnectionType.QueuedConnection)
        self._strips: list[tuple[str, dict]] = []  # strips of the newest request still to draw, in order
        self._ms_per_image = 0.5  # a first guess (a 28x28 model here: 0.4 in bfloat16, 0.55 in float32); then measured
        self._idle = None  # a QTimer, made on the render thread at the first request; touched there only
        self.read_ahead_after_ms = READ_AHEAD_AFTER_IDLE_MS  # read on the render thread at each request

    def _restart_idle_timer(self) -> None:
        if self._idle is None:
            self._idle = QTimer(self, singleShot=True)
            self._idle.timeout.connect(self._start_read_ahead)
        self._idle.start(self.read_ahead_after_ms)

    @Slot(int, object, object, object, object)
    def render(self, token: int, model, main_latents: dict, strips: Callable[[], dict], read_ahead: Callable[[], list]):
        if token != self.latest:
            return
        self._token, self._model, self._likely_next, self._read_ahead = token, model, read_ahead, []
        if main_latents is not None:  # None: strips scrolled into view, the image as it is
            self.main_done.emit(token, self.cache.generate(model, [main_latents])[0][0])
        self._strips = list(strips().items())  # their latents: ~1 ms a strip, after the main image
        self._render_strip_chunk(token)

    @Slot(int)
    def _render_strip_chunk(self, token: int):
        """The next few strips in order (first in view first); the rest after a turn of this thread's event
        loop, where a newer request, if one came, replaces them."""
        if token != self.latest:
            return
        chunk = [self._strips.pop(0)] if self._strips else []
        images = rows(chunk[0][1]) if chunk else 0
        while self._strips and (images + rows(self._strips[0][1])) * self._ms_per_image <= STRIP_CHUNK_MS:
            chunk.append(self._strips.pop(0))
            images += rows(chunk[-1][1])
        if chunk:
            start = time.perf_counter()
            drawn = self.cache.generate(self._model, [latents for _, latents in chunk])
            if self.cache.rows_generated:  # cached strips cost nothing: they say nothing of the speed
                self._learn_speed((time.perf_counter() - start) * 1000 / self.cache.rows_generated)
            self.strips_done.emit(token, {name: strip for (name, _), strip in zip(chunk, drawn)})
        if self._strips:
            self._next_strip_chunk.emit(token)
        else:
            self._restart_idle_timer()

    def _learn_speed(self, ms_per_image: float) -> None:
        """What an image costs (the call's fixed cost shared out), followed as the machine's load changes."""
        self._ms_per_image += 0.3 * (ms_per_image - self._ms_per_image)

    def _start_read_ahead(self):
        if self._token != self.latest:
            return  # a newer request is queued; it re-arms the idle timer
        self._read_ahead = self._likely_next() if self._likely_next else []
        self._read_ahead_one(self._token)

    @Slot(int)
    def _read_ahead_one(self, token: int):
        if token != self.latest:
            return  # a real request came: it re-arms the idle timer
        if not self._read_ahead:
            self.read_ahead_done.emit()
            return
        self.cache.generate(self._model, [self._read_ahead.pop(0)])
        self._next_read_ahead.emit(token)

    @Slot(str, object, object, str)
    def build(self, family: str, config: dict, arrays: dict, title: str):
        """Build a generator from plain weights here, so the window does not wait on Keras."""
        from trainers.run import build_model

        model = build_model(family, config, precision=DRAWING_PRECISION)
        model.load_state(arrays, generators_only=True)
        self.model_built.emit(model, f"{model.title} — {title}")

    @Slot(str)
    def open(self, path: str):
        """Read a run or exported model here: building its networks takes ~0.3-0.4 s."""
        from trainers.run import load_model

        try:
            model = load_model(Path(path), precision=DRAWING_PRECISION)
        except UserFacingError as exc:
            self.open_failed.emit(path, str(exc))
        except Exception as exc:  # a slot's exception would vanish and leave the window waiting
            self.open_failed.emit(path, f"Could not open {path}: {exc}. Is it a run directory or exported model?")
        else:
            self.model_opened.emit(model, path)


@dataclass
class ControlsPage:
    """The form of one slider layout: its sliders, the noise seed and the interpolation's row."""

    widget: QWidget
    form: QFormLayout
    sliders: dict[str, QWidget]
    seed: QSpinBox
    interpolation_mode: QComboBox | None = None
    pinned_label: QLabel | None = None


class ExplorerView(QWidget):
    rendered = Signal()  # the main image has new pixels (tests and the latency benchmark)
    strips_rendered = Signal()  # every strip in view is up to date
    strips_arrived = Signal()  # some strips have new pixels (the first of them follow the main image soonest)
    read_ahead_done = Signal()  # the renderer's, re-emitted here: everything likely next is in the cache
    strip_export_requested = Signal(str, bool)  # (strip name, as GIF) from a strip's context menu
    _render_request = Signal(int, object, object, object, object)
    _build_request = Signal(str, object, object, str)
    _open_request = Signal(str)
    _find_request = Signal(object, object, str, int, bool)  # (model, folder, method, k, cached only)
    model_opened = Signal(object, str)  # (model, path) from open_in_background
    directions_found = Signal()  # the directions' sliders are in place, or cached ones offered (tests)
    open_failed = Signal(str, str)  # (path, one-line reason)
    said = Signal(str)  # one line for the status bar (e.g. an input image that was converted)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.spec = None
        self.sliders: dict[str, QWidget] = {}
        self.strip_panes: dict[str, ImagePane] = {}
        self.strip_captions: dict[str, QLabel] = {}
        self.strip_images: dict[str, list[np.ndarray]] = {}
        self.title = QLabel("No model loaded yet")
        self.title.setWordWrap(True)
        self.main_pane = ImagePane(min_height=280)
        self.output = QStackedWidget()
        self.output.addWidget(self.main_pane)
        self._frame_views: dict[type, QWidget] = {}  # a lab's view (1-D densities, the 2-D plane), made when needed
        self.controls_box = QGroupBox("Latent controls")
        self._pages_layout = QVBoxLayout(self.controls_box)
        self._pages_layout.setContentsMargins(0, 0, 0, 0)
        self._pages: OrderedDict[tuple, ControlsPage] = OrderedDict()  # by slider layout, newest last
        self._page: ControlsPage | None = None
        self.controls_form = QFormLayout()  # the shown page's (none yet)
        self.interpolation_mode: QComboBox | None = None
        self.strips_box = QGroupBox("Traversals (each control swept over its range, everything else fixed)")
        self.strips_scroll = QScrollArea(widgetResizable=True)  # many strips (directions): only those in view render
        self.strips_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.strips_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.strips_layout = QVBoxLayout(inner)
        self.strips_layout.addStretch(1)
        self.strips_scroll.setWidget(inner)
        QVBoxLayout(self.strips_box).addWidget(self.strips_scroll)
        self.strips_scroll.verticalScrollBar().valueChanged.connect(self._draw_uncovered_strips)
        # once the layout has placed the panes: a timer of this view's own, so it dies with the view (a bare
        # singleShot could fire into a view deleted as the window closes)
        self._uncover = QTimer(self, singleShot=True, interval=0)
        self._uncover.timeout.connect(self._draw_uncovered_strips)
        self._show_page = QTimer(self, singleShot=True, interval=0)
        self._show_page.timeout.connect(self._show_current_page)
        self._paint_strips = QTimer(self, singleShot=True, interval=0)
        self._paint_strips.timeout.connect(lambda: self.strips_box.setUpdatesEnabled(True))
        self._watched = (self.strips_scroll.viewport(), inner)  # Python references: no C++ call in the filter
        for widget in self._watched:
            widget.installEventFilter(self)  # resized or laid out anew: more strips may come into view
        self._strip_rows: list[tuple[QLabel, ImagePane]] = []  # reused from model to model: new panes stall
        self._strip_ignores: dict[str, frozenset] = {}
        self._pinned: dict | None = None  # the interpolation's start; None: this sample with the next seed
        left = QVBoxLayout()
        left.addWidget(self.title)
        left.addWidget(self.output, 1)
        left.addWidget(self.controls_box)
        self.noise_pad = NoisePad()  # a lab's plane: two noise dimensions at once
        self._pad_names: tuple[str, str] | None = None
        self.noise_pad.moved.connect(self._on_pad)
        self.noise_pad.hide()
        pad_row = QHBoxLayout()
        pad_row.addWidget(self.noise_pad)
        pad_row.addStretch(1)
        left.addLayout(pad_row)
        self.directions = DirectionsPanel()
        self.directions.hide()  # shown with a model that has a noise vector to search
        left.addWidget(self.directions)
        self._folder: Path | None = None
        self._cached: tuple | None = None  # (model, method, k, directions) read from the cache, not yet shown
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addWidget(self.strips_box, 3)
        self._dirty: set[str] = set()
        self._requested: set[str] = set()  # the strips the newest request asked for
        self._token = 0
        self._renderer = Renderer()
        self._render_thread = QThread(self)
        self._renderer.moveToThread(self._render_thread)
        self._render_request.connect(self._renderer.render)
        self._renderer.main_done.connect(self._show_main)
        self._renderer.strips_done.connect(self._show_strips)
        self._build_request.connect(self._renderer.build)
        self._renderer.model_built.connect(self.set_model)
        self._open_request.connect(self._renderer.open)
        self._renderer.model_opened.connect(self.model_opened)  # re-emitted here, on the GUI thread
        self._renderer.open_failed.connect(self.open_failed)
        # Re-emitted on this thread: a slot called on the render thread must not touch GUI-thread objects
        # (a waiting test's QTimer stopped there stays registered and later fires at freed memory).
        self._renderer.read_ahead_done.connect(self.read_ahead_done)
        self._render_thread.finished.connect(self._renderer.deleteLater)  # its timer dies on its own thread
        self._render_thread.start()
        self._start_finder()
        self.strips_box.hide()  # shown with a model that has strips
        self.main_pane.show_message(
            "No model open: open a run or a shipped model from the File menu (Ctrl+O), or train one in the Train tab."
        )

    def show_waiting(self, title: str, message: str) -> None:
        """Before a model arrives: what is coming, in the title and the empty image pane."""
        self.title.setText(title)
        self.main_pane.show_message(message)

    def _start_finder(self) -> None:
        self._finder = DirectionsFinder()
        self._finder_thread = QThread(self)
        self._finder.moveToThread(self._finder_thread)
        self._find_request.connect(self._finder.find)
        self._finder.progress.connect(self.directions.show_progress)
        self._finder.found.connect(self._apply_directions)
        self._finder.said.connect(self._directions_said)
        self.directions.requested.connect(lambda method, k: self.find_directions(method, k))
        self._finder_thread.finished.connect(self._finder.deleteLater)
        self._finder_thread.start()

    def stop_threads(self) -> None:
        """Ask the strip and directions threads to end once their current task is done (a model being built
        cannot be interrupted): the window asks first, so that they finish while its training run does."""
        self._renderer.latest = -1
        self._finder.cancel()  # at its next measured direction
        for thread in (self._render_thread, self._finder_thread):
            thread.quit()

    def shutdown(self) -> None:
        """Stop the strip and directions threads and wait for them (called when the window closes)."""
        self.stop_threads()
        for thread in (self._render_thread, self._finder_thread):
            thread.wait(3000)

    # --- model ----------------------------------------------------------------------------
    def set_model(self, model, title: str = "", folder: Path | None = None) -> None:
        """Show `model` (anything with latent_spec and generate_arrays); sliders follow its spec. `folder`:
        where it was read from (its directions are cached there)."""
        same_spec = (
            self.model is not None
            and self.spec is not None
            and [c.name for c in model.latent_spec.controls] == [c.name for c in self.spec.controls]
        )
        values = self.values() if same_spec else None
        if values:  # an input image is kept only for a model that takes the same kind and size of image
            kept = {c.name: c for c in self.spec.controls if isinstance(c, ImageControl)}
            new = {c.name: c for c in model.latent_spec.controls if isinstance(c, ImageControl)}
            values = {k: v for k, v in values.items() if k not in kept or kept[k] == new.get(k)}
        same_widgets = self.spec is not None and slider_layout(model.latent_spec) == slider_layout(self.spec)
        self.model = model
        effects = {
            k: e["attribute"] for k, e in getattr(model, "card", {}).get("effects", {}).items() if e.get("attribute")
        }
        self.spec = model.latent_spec.with_attributes(effects)
        self.title.setText(title or model.title)
        lab = self._lab_view_for(model.sample_kind)
        self.output.setCurrentWidget(lab or self.main_pane)
        if not same_spec:
            self._pinned = None
        if lab is not None:
            lab.reset_ranges()
            lab.show_frame(model.preview())  # a few ms of numpy: the whole distribution at once
        if same_widgets:
            self._relabel_controls()  # rebuilding ~20 widgets would stall the window for 35-55 ms
        else:
            self._build_controls()
        if values:
            self.set_values(values, redraw=False)
        self._offer_noise_pad(lab)
        self.redraw()
        self._offer_directions(model, folder)

    # --- the noise pad (a lab's plane) ------------------------------------------------------
    def _offer_noise_pad(self, lab) -> None:
        """The pad over the first two continuous controls, for a view that asks for one."""
        continuous = [c for c in self.spec.controls if isinstance(c, ContinuousControl)]
        offered = getattr(lab, "noise_pad", False) and len(continuous) >= 2
        self._pad_names = (continuous[0].name, continuous[1].name) if offered else None
        self.noise_pad.setVisible(offered)
        if offered:
            a, b = continuous[:2]
            self.noise_pad.set_ranges((a.low, a.high), (b.low, b.high), self._pad_names)

    def _on_pad(self, x: float, y: float) -> None:
        a, b = self._pad_names
        self.set_values({a: x, b: y})

    # --- discovered directions ---------------------------------------------------------
    def _offer_directions(self, model, folder: Path | None) -> None:
        """The panel for a model with a noise vector; cached directions are offered (D shows them at once),
        not shown unasked: eight more sliders and strips would crowd a model's own controls."""
        self._folder = folder
        self._cached = None
        offered = bool(getattr(model, "noise_sites", dict)())
        self.directions.setVisible(offered)
        self.directions.idle("")
        if offered:
            self._find_request.emit(model, folder, *self.directions.settings, True)

    def find_directions(self, method: str | None = None, k: int | None = None) -> None:
        """Show the open model's directions: the cached ones at once, else found and measured (seconds, off
        this thread)."""
        if self.model is None or not self.directions.isVisible():
            return
        default_method, default_k = self.directions.settings
        method, k = method or default_method, k or default_k
        if self._cached is not None and self._cached[:3] == (self.model, method, k):
            self._apply_directions(self.model, self._cached[3], method, k, False)
            return
        self.directions.busy()
        self._find_request.emit(self.model, self._folder, method, k, False)

    def _apply_directions(self, model, directions: list, method: str, k: int, offered_only: bool) -> None:
        if model is not self.model:
            return  # another model was opened meanwhile
        named = sum(1 for d in directions if d.named)
        if offered_only:
            self._cached = (model, method, k, directions)
            self.directions.idle(f"{len(directions)} cached ({method}), {named} named: D shows them", cached=True)
            self.directions_found.emit()
            return
        values = {name: v for name, v in self.values().items() if not name.startswith("dir")}
        self.spec = self.spec.with_directions(directions)
        self._build_controls()
        self.set_values(values, redraw=False)
        self.redraw()
        self.directions.idle(f"{len(directions)} by {method}, {named} named by a measured effect")
        self.directions_found.emit()

    def _directions_said(self, line: str) -> None:
        self.directions.idle(line)

    def open_in_background(self, path: Path) -> None:
        """Read `path` off the GUI thread; `model_opened` or `open_failed` answers."""
        self._open_request.emit(str(path))

    def show_weights(self, family: str, config: dict, arrays: dict, title: str) -> None:
        """Show a generator given as plain weights (a training run's snapshot); built off this thread."""
        self._build_request.emit(family, config, arrays, title)

    def _build_controls(self):
        """Show the form of the spec's slider layout: the one kept from an earlier model of that layout, its
        values back at their defaults, or a new one. Making and laying out a form's ~20 widgets stalled the
        window for 75-120 ms at each switch between two models; showing a kept one costs a repaint."""
        key = slider_layout(self.spec)
        page = self._pages.pop(key, None)
        takes_images = any(isinstance(c, ImageControl) for c in self.spec.controls)
        if page is not None and takes_images:  # a drawing is kept only as set_model decides: a new canvas
            page.widget.deleteLater()
            page = None
        if page is None:
            page = self._new_page()
        else:
            self._reset(page)
        self._pages[key] = page
        while len(self._pages) > PAGES_KEPT:
            self._pages.popitem(last=False)[1].widget.deleteLater()
        self._page = page
        self.controls_form, self.sliders, self.seed = page.form, page.sliders, page.seed
        self.interpolation_mode, self.pinned_label = page.interpolation_mode, page.pinned_label
        self._caption_controls()
        self._show_page.start()  # after this turn's strips and main image request: each turn stays short
        for control in self.spec.controls:  # once the class slider exists: an example sets it
            if isinstance(control, ImageControl):
                self.sliders[control.name].set_examples(self.model.example_latents())
        self._lay_out_strips()
        # the strips' column painted a turn of the event loop after the form: together they held it 75-120 ms
        self.strips_box.setUpdatesEnabled(False)
        self._paint_strips.start()

    def _show_current_page(self) -> None:
        for page in self._pages.values():
            page.widget.setVisible(page is self._page)

    def _new_page(self) -> ControlsPage:
        widget = QWidget()
        form = QFormLayout(widget)
        sliders = {}
        for control in self.spec.controls:
            sliders[control.name] = slider = self._slider_for(control)
            form.addRow(control_caption(control), slider)
        seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        seed.valueChanged.connect(lambda _: self.redraw())
        resample = QPushButton("Resample noise (R)")
        resample.clicked.connect(self.resample)
        seed_row = QHBoxLayout()
        seed_row.addWidget(seed, 1)
        seed_row.addWidget(resample)
        form.addRow("noise seed", seed_row)
        # every input on a slider (a lab's noise): a seed would change nothing
        form.setRowVisible(form.rowCount() - 1, self.spec.has_noise)
        page = ControlsPage(widget, form, sliders, seed)
        if self._images and self.spec.has_noise:
            self._add_interpolation_row(page)
        widget.hide()
        self._pages_layout.addWidget(widget)
        return page

    @staticmethod
    def _reset(page: ControlsPage) -> None:
        """A kept form as a new one would be: every slider and the seed at 0, interpolating spherically."""
        for widget in (*page.sliders.values(), page.seed):
            widget.blockSignals(True)
            widget.setValue(0)
            widget.blockSignals(False)
        if page.interpolation_mode is not None:
            page.interpolation_mode.blockSignals(True)
            page.interpolation_mode.setCurrentIndex(0)
            page.interpolation_mode.blockSignals(False)

    @property
    def _images(self) -> bool:
        return self.model is not None and isinstance(self.model.sample_kind, ImageSamples)

    def _lab_view_for(self, kind) -> QWidget | None:
        """The view of a lab's samples (lab_view.KIND_VIEWS), made the first time; None for images."""
        view_class = KIND_VIEWS.get(type(kind))
        if view_class is None:
            return None
        view = self._frame_views.get(view_class)
        if view is None:
            view = self._frame_views[view_class] = view_class()
            view.setMinimumHeight(320)
            self.output.addWidget(view)
        return view

    @property
    def lab(self) -> QWidget | None:
        """The lab view on show, if the model is a lab's."""
        current = self.output.currentWidget()
        return current if current in self._frame_views.values() else None

    def _add_interpolation_row(self, page: ControlsPage) -> None:
        page.pinned_label = QLabel()
        pin = QPushButton("Pin this sample (P)")
        pin.clicked.connect(self.pin_sample)
        page.interpolation_mode = QComboBox()
        page.interpolation_mode.addItems(["spherical", "linear"])
        page.interpolation_mode.setToolTip("how the noise moves: along the great circle (spherical) or straight")
        page.interpolation_mode.currentIndexChanged.connect(lambda _: self.redraw(changed=MODE))
        row = QHBoxLayout()
        row.addWidget(page.pinned_label, 1)
        row.addWidget(pin)
        row.addWidget(page.interpolation_mode)
        page.form.addRow("interpolate from", row)

    def _lay_out_strips(self) -> None:
        """One caption and pane per strip, reusing the panes already made (hidden when not needed)."""
        plan = strip_plan(self.spec, self._images)
        self.strip_panes.clear()
        self.strip_captions.clear()
        self.strip_images.clear()
        self._dirty.clear()
        self._strip_ignores = {name: ignores for name, _, ignores in plan}
        while len(self._strip_rows) < len(plan):
            caption, pane = QLabel(), ImagePane(min_height=40, fit_height=True)
            self._add_export_actions(pane)
            at = self.strips_layout.count() - 1  # before the stretch
            self.strips_layout.insertWidget(at, pane)
            self.strips_layout.insertWidget(at, caption)
            self._strip_rows.append((caption, pane))
        for (caption, pane), (name, text, _) in zip(self._strip_rows, plan):
            caption.setText(text)
            pane.strip_name = name
            if (shape := self._strip_shape(name)) is not None:
                pane.expect_shape(*shape)
            self.strip_captions[name], self.strip_panes[name] = caption, pane
            caption.show()
            pane.show()
        for caption, pane in self._strip_rows[len(plan) :]:
            caption.hide()
            pane.hide()
        self.strips_box.setVisible(bool(plan))
        self._place_strips()

    def _strip_shape(self, name: str) -> tuple[int, int] | None:
        """(rows, cols) of a strip's picture as make_grid lays it out, 1 pixel apart; None for a lab."""
        if not self._images:
            return None
        kind, count = self.model.sample_kind, STRIP_STEPS
        if name == CLASS_STRIP:
            count = self.spec.categorical.n
        rows = -(-count // STRIP_STEPS)
        return (rows * (kind.height + 1) + 1, STRIP_STEPS * (kind.width + 1) + 1)

    def _place_strips(self) -> None:
        """Lay the strips out now, as the scroll area will (it does so from the event loop): which of them
        are in view is known before the first redraw asks for them."""
        inner, viewport = self.strips_scroll.widget(), self.strips_scroll.viewport()
        inner.layout().activate()
        inner.resize(viewport.width(), max(viewport.height(), inner.minimumSizeHint().height()))
        inner.layout().activate()

    # --- interpolation ------------------------------------------------------------------------
    def pin_sample(self) -> None:
        """The current sample becomes the interpolation's start (P)."""
        if self.model is None or self.interpolation_mode is None:
            return
        self._pinned = self.values()
        self._say_pinned()
        self.redraw(changed=PIN)

    def _say_pinned(self) -> None:
        if self._pinned is None:
            self.pinned_label.setText("the next seed (pin a sample to choose)")
        else:
            self.pinned_label.setText(f"the pinned sample (seed {self._pinned[SEED]})")

    def _name_class(self, slider, control, value: int) -> None:
        label = self.controls_form.labelForField(slider)
        if label is not None:
            label.setText(control_caption(control, value))

    def _caption_controls(self) -> None:
        """Each slider's caption as the model's card names it (and the class shown, for a class control)."""
        for control in self.spec.controls:
            slider = self.sliders[control.name]
            if not isinstance(control, ImageControl):
                label = self.controls_form.labelForField(slider)
                label.setText(control_caption(control, int(slider.value())))
                label.setToolTip(getattr(control, "about", ""))  # a direction's measured figures
        if self.interpolation_mode is not None:
            self._say_pinned()

    def _relabel_controls(self) -> None:
        """Same sliders and strips, new model: only the measured effects in the captions may differ."""
        self._caption_controls()
        for control in self.spec.controls:
            if isinstance(control, ImageControl):
                self.sliders[control.name].set_examples(self.model.example_latents())
        for name, text, _ in strip_plan(self.spec, self._images):
            self.strip_captions[name].setText(text)
        self.strip_images.clear()
        self._dirty.clear()

    def _add_export_actions(self, pane: ImagePane) -> None:
        pane.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for text, animated in (("Export this strip as PNG…", False), ("Export this strip as GIF or MP4…", True)):
            action = QAction(text, pane)
            action.triggered.connect(lambda _=False, a=animated: self.strip_export_requested.emit(pane.strip_name, a))
            pane.addAction(action)

    def _slider_for(self, control):
        if isinstance(control, ImageControl):
            return self._image_input_for(control)
        if isinstance(control, CategoricalControl):
            slider = QLabeledSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, control.n - 1)
            if control.class_names:  # the caption names the class shown
                slider.valueChanged.connect(lambda v, s=slider, c=control: self._name_class(s, c, v))
        else:
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(control.low, control.high)
            slider.setSingleStep((control.high - control.low) / 100)
        slider.setValue(0)
        slider.valueChanged.connect(lambda _v, name=control.name: self.redraw(changed=name))
        return slider

    def _image_input_for(self, control) -> ImageInputPanel:
        """The canvas, examples and file of an image the model takes; choosing an example sets the class too."""
        panel = ImageInputPanel(control)
        panel.valueChanged.connect(lambda _v, name=control.name: self.redraw(changed=name))
        panel.example_chosen.connect(self._follow_example_class)
        panel.said.connect(self.said)
        return panel

    def _follow_example_class(self, value: int) -> None:
        cat = self.spec.categorical if self.spec is not None else None
        if cat is not None and cat.name in self.sliders:
            self.set_values({cat.name: value}, redraw=False)  # the panel's own change redraws

    # --- values ---------------------------------------------------------------------------
    def values(self) -> dict:
        out = {name: slider.value() for name, slider in self.sliders.items()}
        out[SEED] = self.seed.value()
        return out

    def set_values(self, values: dict, redraw: bool = True) -> None:
        for name, value in values.items():
            widget = self.seed if name == SEED else self.sliders.get(name)
            if widget is not None:
                widget.blockSignals(True)
                widget.setValue(value)
                widget.blockSignals(False)
        cat = self.spec.categorical if self.spec is not None else None
        if cat is not None and cat.class_names and cat.name in values:  # its caption follows valueChanged, blocked
            self._name_class(self.sliders[cat.name], cat, int(self.sliders[cat.name].value()))
        if redraw:
            self.redraw()

    def step_class(self, delta: int) -> None:
        """The next (or previous) class of the class control, if the model has one."""
        cat = self.spec.categorical if self.spec is not None else None
        if cat is not None:
            slider = self.sliders[cat.name]
            slider.setValue((slider.value() + delta) % (slider.maximum() + 1))

    step_digit = step_class

    def resample(self) -> None:
        self.seed.setValue(int(np.random.default_rng().integers(0, 2**31 - 1)))

    # --- drawing --------------------------------------------------------------------------
    def redraw(self, changed: str | None = None) -> None:
        """Ask the render thread for the main image, then for the strips that depend on the change."""
        if self.model is None:
            return
        values = self.values()
        if self._pad_names is not None:  # the pad follows the sliders
            self.noise_pad.show_point(values[self._pad_names[0]], values[self._pad_names[1]])
        # a strip that is up to date and does not depend on the change stays; others stay dirty until a render
        for name, ignores in self._strip_ignores.items():
            if changed not in ignores or name not in self.strip_images:
                self._dirty.add(name)
        spec, pinned, names = self.spec, self._pinned, list(self._strip_ignores)
        spherical = self.interpolation_mode is not None and self.interpolation_mode.currentText() == "spherical"

        def strips_of(v: dict, which) -> dict:
            return {name: strip_latents_by_name(spec, name, v, pinned, spherical) for name in which}

        in_view = self._strips_in_view()
        wanted = [name for name in names if name in self._dirty & in_view]
        self._requested = set(wanted)
        self._token += 1
        self._renderer.latest = self._token
        self._render_request.emit(
            self._token,
            self.model,
            None if changed == SCROLL else spec.expand(values, n=1),
            lambda: strips_of(values, wanted),  # worked out on the render thread, after the main image
            lambda: likely_next(
                spec, values, lambda near: list(strips_of(near, [n for n in names if n in in_view]).values())
            ),
        )  # worked out on the render thread, when idle

    def _strips_in_view(self) -> set[str]:
        """Strips the user can see now; all of them while the explorer is not on screen (nothing to save, and
        what is asked for is ready when it comes back)."""
        if not self.strips_scroll.isVisible():
            return set(self.strip_panes)
        viewport = self.strips_scroll.viewport()
        height = viewport.height()

        def in_view(pane) -> bool:  # by geometry: offscreen, a widget's visible region is always empty
            top = pane.mapTo(viewport, QPoint(0, 0)).y()
            return pane.isVisible() and top < height and top + pane.height() > 0

        return {name for name, pane in self.strip_panes.items() if in_view(pane)}

    def _draw_uncovered_strips(self) -> None:
        """Strips that came into view and were not asked for yet: drawn, the main image left as it is."""
        if self.model is not None and (self._dirty & self._strips_in_view()) - self._requested:
            self.redraw(changed=SCROLL)

    def eventFilter(self, watched, event) -> bool:
        if any(watched is w for w in self._watched) and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._uncover.start()
        return False

    def _show_main(self, token: int, image: np.ndarray) -> None:
        if token != self._token:
            return
        self.current_image = image
        if self.lab is not None:
            self.lab.show_marker(self.values(), image)
        else:
            self.main_pane.show_image(image)
        self.rendered.emit()

    def _show_strips(self, token: int, strips: dict) -> None:
        if token != self._token:
            return  # a newer request is on its way
        self._dirty -= set(strips)
        for name, images in strips.items():
            self.strip_images[name] = list(images)
            self.strip_panes[name].show_image(make_grid(images, cols=STRIP_STEPS, pad=1))
        if strips:
            self.strips_arrived.emit()
            if not self._dirty & self._strips_in_view():
                self.strips_rendered.emit()

    # --- export ---------------------------------------------------------------------------
    def export_image(self, path: Path) -> None:
        if self.lab is not None:
            save_png(path, self.lab.frame.picture())
        else:
            save_png(path, self.current_image, scale=8)

    def export_strip(self, name: str, path: Path) -> None:
        save_png(path, make_grid(np.stack(self.strip_images[name]), cols=STRIP_STEPS), scale=4)

    def export_gif(self, name: str, path: Path) -> None:
        """The strip as an animation that plays forth and back: GIF or MP4, by the suffix."""
        save_strip_animation(path, self.strip_images[name])
