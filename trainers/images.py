"""Image grids and PNG/GIF export (Pillow/imageio), written atomically."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np


def to_uint8(images: np.ndarray) -> np.ndarray:
    return (np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def enlarged(image: np.ndarray, scale: int) -> np.ndarray:
    """uint8, each pixel a scale × scale block (nearest neighbour: a 28-pixel sample stays crisp)."""
    image = image if image.dtype == np.uint8 else to_uint8(image)
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def make_grid(images: np.ndarray, cols: int, pad: int = 2) -> np.ndarray:
    """(N, H, W) or (N, H, W, C) floats in [0, 1] or uint8 -> one uint8 image, `cols` per row, black padding."""
    images = images if images.dtype == np.uint8 else to_uint8(images)
    n, h, w = images.shape[:3]
    rows = -(-n // cols)
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, *images.shape[3:]), np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = image
    return grid


def atomic_write(path: Path, write) -> None:
    """Call write(tmp_path), flush it to the disk, rename it over `path` and flush the folder, so that
    neither a crash nor a power cut leaves a half-written file. A full disk (or any other failure to
    write) is one line that names the file; the previous version of the file is untouched."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        write(tmp)
        _fsync(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
        _fsync(path.parent)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_error(path: Path, exc: OSError):
    from trainers.errors import UserFacingError

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return UserFacingError(
            f"Could not write {path}: the disk is full. Free some space and resume; "
            "the last complete copy of the file is kept."
        )
    return UserFacingError(f"Could not write {path} ({exc.strerror or exc}); the last complete copy is kept.")


SOFTWARE = "GAN Latent Explorer"  # written into every PNG: the mark of a file this program may replace


def save_png(path: Path, image: np.ndarray, scale: int = 1) -> None:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    picture = Image.fromarray(image if image.dtype == np.uint8 else to_uint8(image))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    text = PngInfo()
    text.add_text("Software", SOFTWARE)
    atomic_write(path, lambda tmp: picture.save(tmp, format="PNG", pnginfo=text))


def written_by_us(path: Path) -> bool:
    """A PNG with our Software mark, or an .npz holding samples as `sample` writes them."""
    try:
        if path.suffix.lower() == ".png":
            from PIL import Image

            with Image.open(path) as picture:
                return picture.format == "PNG" and picture.info.get("Software") == SOFTWARE
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as f:
                keys = set(f.files)
            return bool(keys & {"images", "samples"}) and any(k.startswith("latent_") for k in keys)
    except Exception:  # unreadable, damaged, not what its name says: not ours
        return False
    return False


def check_replaceable(path: Path, force: bool) -> None:
    """Refuse (one line) to write over a file this program did not write, unless `force`."""
    from trainers.errors import UserFacingError

    path = Path(path)
    if path.is_dir():
        raise UserFacingError(f"{path} is a folder; give a file name to write.")
    if path.exists() and not force and not written_by_us(path):
        raise UserFacingError(
            f"{path} exists and was not written by gan-explorer; choose another name, or pass --force to replace it."
        )


def looped(frames: list) -> list:
    """Forth and back, a smooth loop: ten frames play as eighteen."""
    return frames + frames[-2:0:-1]


def save_strip_animation(path: Path, images: list[np.ndarray], scale: int = 4, fps: float = 8.0) -> None:
    """A strip's images as a looping GIF or MP4 (by the suffix), each pixel a scale × scale block."""
    save_animation(path, looped([enlarged(image, scale) for image in images]), fps=fps)


ANIMATION_SUFFIXES = (".gif", ".mp4")


def mp4_available() -> bool:
    """MP4 needs the ffmpeg that the imageio-ffmpeg package ships."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def save_animation(path: Path, frames: list[np.ndarray], fps: float = 12.0) -> None:
    """Frames (uint8, grey or RGB, all one size) as a looping GIF or an MP4, written atomically."""
    import imageio.v2 as iio2
    import imageio.v3 as iio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        from trainers.errors import UserFacingError

        raise UserFacingError(f"{path.name}: an animation is written as .gif or .mp4.")
    if not frames:
        from trainers.errors import UserFacingError

        raise UserFacingError("Nothing to animate yet: no sample snapshots have arrived.")
    frames = [f if f.ndim == 3 else np.repeat(f[..., None], 3, axis=2) for f in frames]
    if suffix == ".gif":
        atomic_write(path, lambda tmp: iio.imwrite(tmp, frames, extension=".gif", duration=1000.0 / fps, loop=0))
        return
    if not mp4_available():
        from trainers.errors import UserFacingError

        raise UserFacingError("MP4 needs the imageio-ffmpeg package (pip install imageio-ffmpeg); GIF works as is.")
    even = [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2] for f in frames]  # H.264 wants even sizes

    def write(tmp):
        with iio2.get_writer(
            tmp, format="FFMPEG", fps=fps, macro_block_size=1, codec="libx264", ffmpeg_log_level="error"
        ) as writer:
            for frame in even:
                writer.append_data(frame)

    atomic_write(path, write)
