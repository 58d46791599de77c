"""Image grids and PNG/GIF export (Pillow/imageio), written atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def to_uint8(images: np.ndarray) -> np.ndarray:
    return (np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_grid(images: np.ndarray, cols: int, pad: int = 2) -> np.ndarray:
    """(N, H, W) floats in [0, 1] or uint8 -> one uint8 image, `cols` per row, black padding."""
    images = images if images.dtype == np.uint8 else to_uint8(images)
    n, h, w = images.shape
    rows = -(-n // cols)
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = image
    return grid


def atomic_write(path: Path, write) -> None:
    """Call write(tmp_path) then rename over `path`, so a crash never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_png(path: Path, image: np.ndarray, scale: int = 1) -> None:
    from PIL import Image

    picture = Image.fromarray(image if image.dtype == np.uint8 else to_uint8(image))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    atomic_write(path, lambda tmp: picture.save(tmp, format="PNG"))


def save_gif(path: Path, frames: list[np.ndarray], fps: float = 8.0, scale: int = 4) -> None:
    import imageio.v3 as iio
    from PIL import Image

    def big(frame):
        frame = frame if frame.dtype == np.uint8 else to_uint8(frame)
        return np.asarray(Image.fromarray(frame).resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.NEAREST))

    bounce = frames + frames[-2:0:-1]  # play forth and back, a smooth loop
    atomic_write(path, lambda tmp: iio.imwrite(tmp, [big(f) for f in bounce], extension=".gif",
                                               duration=1000.0 / fps, loop=0))
