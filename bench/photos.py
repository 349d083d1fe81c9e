"""The benchmark's photos, made once with the test suite's image factory and kept
in the data folder (noise and gradients: they compress and shrink like photos)."""

from dataclasses import dataclass
from pathlib import Path

from testing import image_factory


@dataclass(frozen=True)
class Photo:
    label: str
    size: tuple[int, int]
    format: str  # "JPEG" or "PNG"

    @property
    def filename(self) -> str:
        width, height = self.size
        return f"photo-{width}x{height}.{self.format.lower()}"

    @property
    def content_type(self) -> str:
        return f"image/{self.format.lower()}"


TINY = Photo("0.01 MP JPEG", (120, 80), "JPEG")
MP2 = Photo("2 MP JPEG", (1600, 1200), "JPEG")
MP12 = Photo("12 MP JPEG", (4000, 3000), "JPEG")
MP24 = Photo("24 MP JPEG", (6000, 4000), "JPEG")
MP48 = Photo("48 MP JPEG", (8000, 6000), "JPEG")
PNG12 = Photo("12 MP PNG", (4000, 3000), "PNG")
ALL = (TINY, MP2, MP12, MP24, MP48, PNG12)


def ensure(folder: Path) -> dict[Photo, Path]:
    """Each photo's file in folder, made on first use."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for photo in ALL:
        path = folder / photo.filename
        if not path.exists():
            im = image_factory.photo_like(photo.size)
            params = {"quality": 90} if photo.format == "JPEG" else {}
            partial = path.with_suffix(".partial")
            partial.write_bytes(image_factory.encode(im, photo.format, **params))
            partial.rename(path)
        paths[photo] = path
    return paths
