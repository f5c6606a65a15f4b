"""Avatar files: uploads decoded, checked and re-encoded to WebP at three sizes (DESIGN.md §5).

Nothing a user uploads is stored or served as sent: the pixels are decoded, cropped
to the centre square and written anew as WebP, so metadata (EXIF, GPS) and anything
smuggled beside the pixels are gone. Files are named ``<stem>-<side>.webp``, where a
stem is ``<user id>-<16 hex digits>``, unique per upload: a URL never changes content.

Refusals, as the HTTP layer renders them:

- 413 ``payload_too_large``: the file is over ``MAX_AVATAR_BYTES``.
- 415 ``unsupported_image_type``: the name does not end in .png, .jpg, .jpeg or .webp.
- 400 ``invalid_image`` (on ``avatar``): the content is not one whole image of the type
  the name says: undecodable, truncated, an HTML page named .png, a PNG named .webp.
- 400 ``image_too_large`` (on ``avatar``): more than ``MAX_AVATAR_PIXELS`` pixels, as
  decompression bombs declare.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from pathlib import Path, PurePath

import trio
from PIL import Image, ImageDraw, ImageOps

from courtside.protocol import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_AVATAR_BYTES = 10 * 1024 * 1024
# A 40-megapixel RGBA frame is 160 MB decoded. Pillow's own bomb warning starts at
# about 89 MP, so this check refuses every image Pillow would warn about, and does it
# on the header alone, before a pixel is decoded.
MAX_AVATAR_PIXELS = 40_000_000
SIDES = {"small": 64, "medium": 128, "large": 256}
# Each decode may hold a few hundred MB at MAX_AVATAR_PIXELS and a core while it
# lasts; this many at a time bound both, and a burst of uploads queues instead.
MAX_CONCURRENT_ENCODES = 2
DEFAULT_STEM = "default"
URL_PREFIX = "/media/avatars/"

_LARGEST = max(SIDES.values())
# Only these decoders ever see uploaded bytes, and only the one the name asks for.
_FORMAT_BY_EXTENSION = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
_STEM = re.compile(r"[0-9]+-[0-9a-f]{16}")
_FILE_NAME = re.compile(
    rf"(?:{DEFAULT_STEM}|{_STEM.pattern})-(?:{'|'.join(map(str, SIDES.values()))})\.webp"
)
# What Pillow's own fuzzing harness accepts from its decoders on hostile input.
_DECODING_ERRORS = (OSError, SyntaxError, ValueError, NotImplementedError, OverflowError)
_WEBP_QUALITY = 85
_DEFAULT_BACKGROUND = (214, 218, 223)
_DEFAULT_FIGURE = (155, 163, 173)


class AvatarStore:
    """The avatar files under ``media_dir / "avatars"``, and their public URLs."""

    def __init__(self, media_dir: Path) -> None:
        self._dir = media_dir / "avatars"
        self._limiter = trio.CapacityLimiter(MAX_CONCURRENT_ENCODES)

    def ensure_default(self) -> None:
        """Draw the default avatar's files if any is missing (blocking: call at start-up)."""
        if all((self._dir / _file_name(DEFAULT_STEM, side)).is_file() for side in SIDES.values()):
            return
        self._write(DEFAULT_STEM, _renditions(_default_avatar()))

    async def save(self, user_id: int, upload: bytes, filename: str) -> str:
        """Check and re-encode an uploaded image; returns the stem of its new files."""
        if len(upload) > MAX_AVATAR_BYTES:
            raise PayloadTooLarge(f"An avatar must be at most {MAX_AVATAR_BYTES // 2**20} MiB.")
        image_format = _format_named_by(filename)
        stem = f"{user_id}-{secrets.token_hex(8)}"
        await trio.to_thread.run_sync(
            self._encode_and_write, stem, upload, image_format, limiter=self._limiter
        )
        return stem

    async def remove(self, stem: str | None) -> None:
        """Delete an uploaded avatar's files; the default is shared and stays."""
        if stem is None or stem == DEFAULT_STEM:
            return
        if not _STEM.fullmatch(stem):
            raise ValueError(f"not an avatar stem: {stem!r}")
        paths = [self._dir / _file_name(stem, side) for side in SIDES.values()]
        await trio.to_thread.run_sync(_unlink_all, paths)

    def urls(self, stem: str | None) -> dict[str, str]:
        """``small``/``medium``/``large`` URLs; ``None`` means the default avatar."""
        return {
            label: URL_PREFIX + _file_name(stem or DEFAULT_STEM, side)
            for label, side in SIDES.items()
        }

    def path_of(self, file_name: str) -> Path | None:
        """The file behind ``/media/avatars/<file_name>``, or None for a name we never write.

        Only names of our own exact shape pass, so no traversal, temporary file or
        other file in the folder can be reached. The file may still be gone.
        """
        return self._dir / file_name if _FILE_NAME.fullmatch(file_name) else None

    def _encode_and_write(self, stem: str, upload: bytes, image_format: str) -> None:
        with _decode(upload, image_format) as image:
            renditions = _renditions(image)
        self._write(stem, renditions)

    def _write(self, stem: str, renditions: dict[int, bytes]) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        try:
            for side, content in renditions.items():
                path = self._dir / _file_name(stem, side)
                _write_atomically(path, content)
                written.append(path)
        except BaseException:
            # No stem is half there: it is recorded only once all its files are.
            _unlink_all(written)
            raise


def _file_name(stem: str, side: int) -> str:
    return f"{stem}-{side}.webp"


def _format_named_by(filename: str) -> str:
    extension = PurePath(filename).suffix.lower()
    if extension not in _FORMAT_BY_EXTENSION:
        raise UnsupportedMediaType(
            "An avatar must be a PNG, JPEG or WebP file (.png, .jpg, .jpeg or .webp).",
            code="unsupported_image_type",
        )
    return _FORMAT_BY_EXTENSION[extension]


def _decode(upload: bytes, image_format: str) -> Image.Image:
    """The upload's first frame, fully decoded, upright, in RGB or RGBA."""
    try:
        # verify() reads the whole file's structure (chunk CRCs for PNG) without
        # decoding pixels, and leaves the image unusable: hence the second open.
        with Image.open(io.BytesIO(upload), formats=[image_format]) as probe:
            _check_pixels(*probe.size)
            probe.verify()
        image = Image.open(io.BytesIO(upload), formats=[image_format])
        # JPEG can decode straight at 1/2, 1/4 or 1/8 scale: no need for more
        # pixels than the largest rendition. Other formats ignore the hint.
        image.draft(None, (_LARGEST, _LARGEST))
        image.load()  # a truncated file fails here
        ImageOps.exif_transpose(image, in_place=True)  # phone photos stand upright
        return _as_rgb_or_rgba(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limits, should they ever be stricter than ours; the warning
        # arrives here only in a process that turns warnings into errors.
        raise _too_large() from None
    except _DECODING_ERRORS as error:
        raise ValidationFailed(
            f"The file is not a valid {image_format} image.",
            code="invalid_image",
            errors={"avatar": [f"The file is not a valid {image_format} image."]},
        ) from error


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_AVATAR_PIXELS:
        raise _too_large()


def _too_large() -> ValidationFailed:
    message = f"An avatar may have at most {MAX_AVATAR_PIXELS:,} pixels."
    return ValidationFailed(message, code="image_too_large", errors={"avatar": [message]})


def _as_rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16"):
        # 16-bit grey PNG: convert() would clip every value above 255 to white.
        image = image.point(lambda value: value / 257)
    mode = "RGBA" if image.has_transparency_data else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _renditions(image: Image.Image) -> dict[int, bytes]:
    """The centre square of ``image``, as WebP at every side in SIDES."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    square = (left, top, left + side, top + side)
    renditions = {}
    for target in SIDES.values():
        # Resizing straight from the box spares a full-size crop copy;
        # reducing_gap keeps huge sources fast at no visible cost.
        resized = image.resize(
            (target, target), Image.Resampling.LANCZOS, box=square, reducing_gap=3.0
        )
        encoded = io.BytesIO()
        resized.save(encoded, "WEBP", quality=_WEBP_QUALITY)
        renditions[target] = encoded.getvalue()
    return renditions


def _default_avatar() -> Image.Image:
    """A grey head-and-shoulders silhouette, drawn at 4x and shrunk for smooth edges."""
    size = 4 * _LARGEST
    unit = size / 16
    image = Image.new("RGB", (size, size), _DEFAULT_BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.ellipse((5 * unit, 3 * unit, 11 * unit, 9 * unit), fill=_DEFAULT_FIGURE)
    # The bottom edge cuts this ellipse into shoulders.
    draw.ellipse((2 * unit, 10 * unit, 14 * unit, 22 * unit), fill=_DEFAULT_FIGURE)
    return image


def _write_atomically(path: Path, content: bytes) -> None:
    """Readers see the whole file or none; the name never matches ``_FILE_NAME`` early."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("xb") as file:
            file.write(content)
            file.flush()
            # Data before name: after a crash the name never points at an empty file.
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
