"""Avatars (DESIGN.md §5): uploads are checked, re-encoded to WebP at three sizes, served.

Test images are built in memory with Pillow; the hostile ones (bombs, padding) are
assembled chunk by chunk, as an attacker would.
"""

from __future__ import annotations

import io
import random
import struct
import threading
import time
import zlib
from pathlib import Path

import httpx
import pytest
import trio
from PIL import Image

from courtside.persistence import AvatarStore, avatars
from courtside.persistence.avatars import (
    MAX_AVATAR_BYTES,
    MAX_AVATAR_PIXELS,
    MAX_CONCURRENT_ENCODES,
)
from courtside.protocol import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from courtside.server.config import Config
from tests.accounts import Account, make_user

AVATAR = "/api/users/me/avatar/"
DEFAULT_URLS = {
    "small": "/media/avatars/default-64.webp",
    "medium": "/media/avatars/default-128.webp",
    "large": "/media/avatars/default-256.webp",
}
DEFAULT_FILES = {"default-64.webp", "default-128.webp", "default-256.webp"}
SIDES = {"small": 64, "medium": 128, "large": 256}
# Decoding and re-encoding take well under a second; the margin is for slow machines.
TIMEOUT = 30

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 30), (30, 30, 220)


# --- images ------------------------------------------------------------------------

def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def noise(image_format: str, size: tuple[int, int] = (300, 200)) -> bytes:
    """A photo-like image: no run of bytes compresses away, so truncation always shows."""
    width, height = size
    pixels = random.Random(1).randbytes(width * height * 3)
    return encoded(Image.frombytes("RGB", size, pixels), image_format)


def bands(*colours: tuple[int, int, int], band: tuple[int, int] = (100, 100)) -> Image.Image:
    """Vertical bands of colour, side by side, each ``band`` pixels large."""
    width, height = band
    image = Image.new("RGB", (width * len(colours), height))
    for index, colour in enumerate(colours):
        image.paste(colour, (index * width, 0, (index + 1) * width, height))
    return image


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def black_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG of any declared size, a few KiB on the wire."""
    row = bytes(1 + (width + 7) // 8)  # filter byte, then the packed bits
    rows_per_block = max(1, 2**20 // len(row))
    compressor = zlib.compressobj(9)
    pixels = b"".join(
        compressor.compress(row * min(rows_per_block, height - done))
        for done in range(0, height, rows_per_block)
    ) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b""))


def png_of_exactly(total_bytes: int) -> bytes:
    """A valid PNG padded to ``total_bytes`` with a private chunk that decoders skip."""
    image = encoded(Image.new("RGB", (32, 32), GREEN), "PNG")
    signature_and_header = 8 + 25  # the signature, then IHDR's 13 bytes framed in 12
    padding = total_bytes - len(image) - 12
    return (image[:signature_and_header] + png_chunk(b"paDd", bytes(padding))
            + image[signature_and_header:])


def near(colour: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


# --- calls -------------------------------------------------------------------------

async def upload(
    client: httpx.AsyncClient, account: Account, content: bytes, filename: str
) -> httpx.Response:
    files = {"avatar": (filename, content, "application/octet-stream")}
    return await client.put(AVATAR, files=files, headers=account.headers)


async def fetch_avatar(client: httpx.AsyncClient, url: str) -> tuple[httpx.Response, Image.Image]:
    """The served file, checked to be WebP, and the image it decodes to."""
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text)
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP"
    image.load()
    return response, image


def file_names(urls: dict[str, str]) -> set[str]:
    return {url.rsplit("/", 1)[1] for url in urls.values()}


def avatar_files(media_dir: Path) -> set[str]:
    return {path.name for path in (media_dir / "avatars").iterdir()}


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    if status == 400:
        assert body["errors"]["avatar"], body


# --- uploads -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("image_format", "filename"),
    [("PNG", "me.png"), ("PNG", "ME.PNG"), ("JPEG", "me.jpg"), ("JPEG", "me.jpeg"),
     ("WEBP", "me.webp")],
)
async def test_an_upload_becomes_three_webp_sizes_of_the_centre_square(
    client: httpx.AsyncClient, image_format: str, filename: str
) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        sent = encoded(bands(RED, GREEN, BLUE), image_format)
        response = await upload(client, alice, sent, filename)
        assert response.status_code == 200, response.text
        urls = response.json()["profile_picture"]
        assert set(urls) == set(SIDES)
        assert urls != DEFAULT_URLS

        for label, side in SIDES.items():
            served, image = await fetch_avatar(client, urls[label])
            assert served.content != sent
            assert image.size == (side, side)
            # Only the middle band survives the crop to a square (its edges blur a
            # little into the neighbours, JPEG's chroma even more).
            inset = side // 8
            for point in [(inset, inset), (side // 2, side // 2), (side - inset, side - inset)]:
                assert near(image.convert("RGB").getpixel(point), GREEN), (label, point)
            assert served.headers["cache-control"] == "public, max-age=31536000, immutable"

        me = await client.get("/api/users/me/", headers=alice.headers)
        assert me.json()["profile_picture"] == urls


async def test_a_new_upload_deletes_the_previous_files(
    client: httpx.AsyncClient, config: Config
) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        first = (await upload(client, alice, noise("PNG"), "a.png")).json()["profile_picture"]
        second = (await upload(client, alice, noise("JPEG"), "b.jpg")).json()["profile_picture"]

        for url in first.values():
            gone = await client.get(url)
            assert_refused(gone, 404, "not_found")
        for url in second.values():
            await fetch_avatar(client, url)
        assert avatar_files(config.data_dir / "media") == file_names(second) | DEFAULT_FILES


async def test_delete_restores_the_default_avatar(
    client: httpx.AsyncClient, config: Config
) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        uploaded = (await upload(client, alice, noise("WEBP"), "a.webp")).json()["profile_picture"]

        reset = await client.delete(AVATAR, headers=alice.headers)
        assert reset.status_code == 200, reset.text
        assert reset.json() == {"profile_picture": DEFAULT_URLS}
        me = await client.get("/api/users/me/", headers=alice.headers)
        assert me.json()["profile_picture"] == DEFAULT_URLS
        for url in uploaded.values():
            assert_refused(await client.get(url), 404, "not_found")
        for label, side in SIDES.items():
            served, image = await fetch_avatar(client, DEFAULT_URLS[label])
            assert image.size == (side, side)
            assert served.headers["cache-control"] == "public, max-age=86400"
        assert avatar_files(config.data_dir / "media") == DEFAULT_FILES

        again = await client.delete(AVATAR, headers=alice.headers)
        assert again.json() == {"profile_picture": DEFAULT_URLS}


async def test_transparency_is_kept(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        half_clear = Image.new("RGBA", (200, 200), (*RED, 255))
        half_clear.paste((0, 0, 0, 0), (0, 0, 100, 200))
        urls = (await upload(client, alice, encoded(half_clear, "PNG"), "a.png")).json()
        _, image = await fetch_avatar(client, urls["profile_picture"]["large"])
        assert image.mode == "RGBA"
        assert image.getpixel((10, 128))[3] == 0
        assert near(image.getpixel((245, 128)), (*RED, 255))


async def test_a_photo_stands_upright_and_loses_its_metadata(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: the camera was turned; rotate 90° clockwise to view
        exif[0x013B] = "Alice Liddell"  # Artist
        photo = encoded(bands(RED, BLUE), "JPEG", exif=exif)
        urls = (await upload(client, alice, photo, "a.jpg")).json()["profile_picture"]

        _, image = await fetch_avatar(client, urls["large"])
        # Upright, the left band (red) is on top; uncorrected, the right would be red.
        assert near(image.getpixel((200, 30)), RED)
        assert near(image.getpixel((50, 220)), BLUE)
        assert not image.getexif()
        assert "exif" not in image.info


# --- refusals ----------------------------------------------------------------------

async def test_the_size_limit_is_ten_mebibytes_exactly(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        largest = png_of_exactly(MAX_AVATAR_BYTES)
        assert len(largest) == MAX_AVATAR_BYTES
        accepted = await upload(client, alice, largest, "a.png")
        assert accepted.status_code == 200, accepted.text

        # Within the route's body limit, so the store itself refuses it.
        one_byte_over = await upload(client, alice, png_of_exactly(MAX_AVATAR_BYTES + 1), "a.png")
        assert_refused(one_byte_over, 413, "payload_too_large")
        # Past the route's body limit: refused by Content-Length, before the body is
        # read, which ends the connection: last.
        far_over = await upload(client, alice, bytes(MAX_AVATAR_BYTES + 65 * 1024), "a.png")
        assert_refused(far_over, 413, "payload_too_large")


@pytest.mark.parametrize("filename", ["a.gif", "a.txt", "a.png.gif", "png", "a."])
async def test_names_other_than_png_jpeg_or_webp_are_refused(
    client: httpx.AsyncClient, filename: str
) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        response = await upload(client, alice, noise("PNG"), filename)
        assert_refused(response, 415, "unsupported_image_type")


async def test_a_gif_is_refused_whatever_its_name_says(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        gif = encoded(bands(RED), "GIF")
        assert_refused(await upload(client, alice, gif, "a.gif"), 415, "unsupported_image_type")
        assert_refused(await upload(client, alice, gif, "a.png"), 400, "invalid_image")


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        pytest.param(noise("PNG"), "a.webp", id="png-named-webp"),
        pytest.param(noise("WEBP"), "a.jpg", id="webp-named-jpg"),
        pytest.param(noise("JPEG"), "a.png", id="jpeg-named-png"),
        pytest.param(b"<!doctype html><script>alert(1)</script>", "a.png", id="html-named-png"),
        pytest.param(b"", "a.png", id="empty"),
        pytest.param(noise("PNG")[:-20], "a.png", id="truncated-png"),
        pytest.param(noise("JPEG")[:-20], "a.jpg", id="truncated-jpeg"),
        pytest.param(noise("WEBP")[:-20], "a.webp", id="truncated-webp"),
        pytest.param(noise("PNG")[:100], "a.png", id="header-only-png"),
    ],
)
async def test_content_that_is_not_the_named_image_type_is_refused(
    client: httpx.AsyncClient, content: bytes, filename: str
) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        response = await upload(client, alice, content, filename)
        assert_refused(response, 400, "invalid_image")
        me = await client.get("/api/users/me/", headers=alice.headers)
        assert me.json()["profile_picture"] == DEFAULT_URLS


async def test_a_decompression_bomb_is_refused(
    client: httpx.AsyncClient, config: Config
) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        bomb = black_png(20_000, 20_000)  # 400 megapixels in under 50 KiB
        assert len(bomb) < 64 * 1024
        response = await upload(client, alice, bomb, "a.png")
        assert_refused(response, 400, "image_too_large")
        assert avatar_files(config.data_dir / "media") == DEFAULT_FILES


async def test_a_missing_file_is_a_validation_error(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        elsewhere = await client.put(
            AVATAR, files={"picture": ("a.png", noise("PNG"))}, headers=alice.headers
        )
        assert_refused(elsewhere, 400, "invalid")
        as_text = await client.put(
            AVATAR, data={"avatar": "a.png"}, files={"other": ("x.png", b"x")},
            headers=alice.headers,
        )
        assert_refused(as_text, 400, "invalid")
        # What a browser sends when no file was chosen.
        unchosen = await upload(client, alice, b"", "")
        assert_refused(unchosen, 400, "invalid")


async def test_only_multipart_uploads_are_accepted(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        alice = await make_user(client, "alice")
        as_json = await client.put(AVATAR, json={"avatar": "a.png"}, headers=alice.headers)
        assert_refused(as_json, 415, "unsupported_media_type")
        as_urlencoded = await client.put(AVATAR, data={"avatar": "a.png"}, headers=alice.headers)
        assert_refused(as_urlencoded, 415, "unsupported_media_type")
        empty = await client.put(AVATAR, headers=alice.headers)
        assert_refused(empty, 415, "unsupported_media_type")
        # Last: a large body refused unread ends its keep-alive connection.
        raw = await client.put(
            AVATAR, content=noise("PNG"), headers={**alice.headers, "Content-Type": "image/png"}
        )
        assert_refused(raw, 415, "unsupported_media_type")


async def test_changing_the_avatar_needs_authentication(client: httpx.AsyncClient) -> None:
    with trio.fail_after(TIMEOUT):
        assert_refused(await client.delete(AVATAR), 401, "not_authenticated")
        # Last: a large body refused unread ends its keep-alive connection.
        files = {"avatar": ("a.png", noise("PNG"))}
        assert_refused(await client.put(AVATAR, files=files), 401, "not_authenticated")


@pytest.mark.parametrize(
    "file_name",
    [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "..",
        "..%5Cdefault-64.webp",
        "default-64.webp%00.png",
        "default-64.png",
        "default-32.webp",
        "DEFAULT-64.webp",
        "default-64.webp.bak",
        "1-0123456789abcdef-64.webp",  # well formed, never written
        "1-0123456789ABCDEF-64.webp",
        "..-0123456789abcdef-64.webp",
        ".default-64.webp.0badf00d.tmp",  # the shape of a file being written
    ],
)
async def test_only_avatar_files_are_served(
    client: httpx.AsyncClient, config: Config, file_name: str
) -> None:
    with trio.fail_after(TIMEOUT):
        folder = config.data_dir / "media" / "avatars"
        (folder / ".default-64.webp.0badf00d.tmp").write_bytes(b"half written")
        (config.data_dir / "media" / "secret").write_bytes(b"secret")
        response = await client.get(f"/media/avatars/{file_name}")
        assert_refused(response, 404, "not_found")


# --- the store on its own ----------------------------------------------------------

@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def store(media_dir: Path) -> AvatarStore:
    store = AvatarStore(media_dir)
    store.ensure_default()
    return store


async def test_store_urls_and_paths(store: AvatarStore, media_dir: Path) -> None:
    assert store.urls(None) == DEFAULT_URLS
    assert store.urls("7-0123456789abcdef")["large"] == "/media/avatars/7-0123456789abcdef-256.webp"
    folder = media_dir / "avatars"
    assert store.path_of("default-128.webp") == folder / "default-128.webp"
    assert store.path_of("7-0123456789abcdef-64.webp") == folder / "7-0123456789abcdef-64.webp"
    for name in ["../default-64.webp", "default-64.webp/..", "default-64.webp\n", "", "avatars"]:
        assert store.path_of(name) is None, name


async def test_store_default_is_drawn_once_and_never_removed(
    store: AvatarStore, media_dir: Path
) -> None:
    with trio.fail_after(TIMEOUT):
        assert avatar_files(media_dir) == DEFAULT_FILES
        small = media_dir / "avatars" / "default-64.webp"
        drawn = small.stat().st_mtime_ns
        store.ensure_default()
        assert small.stat().st_mtime_ns == drawn

        await store.remove(None)
        await store.remove("default")
        assert avatar_files(media_dir) == DEFAULT_FILES
        (media_dir / "avatars" / "default-128.webp").unlink()
        store.ensure_default()
        assert avatar_files(media_dir) == DEFAULT_FILES


async def test_store_save_and_remove(store: AvatarStore, media_dir: Path) -> None:
    with trio.fail_after(TIMEOUT):
        stem = await store.save(42, noise("PNG"), "a.png")
        assert stem.startswith("42-")
        assert stem != await store.save(42, noise("PNG"), "a.png")  # unique per upload
        assert file_names(store.urls(stem)) <= avatar_files(media_dir)

        await store.remove(stem)
        assert not file_names(store.urls(stem)) & avatar_files(media_dir)
        await store.remove(stem)  # already gone: nothing to do
        with pytest.raises(ValueError):
            await store.remove("../default")


async def test_store_refusals_raise_the_protocol_errors(
    store: AvatarStore, media_dir: Path
) -> None:
    with trio.fail_after(TIMEOUT):
        with pytest.raises(PayloadTooLarge):
            await store.save(1, bytes(MAX_AVATAR_BYTES + 1), "a.png")
        with pytest.raises(UnsupportedMediaType) as unsupported:
            await store.save(1, noise("PNG"), "a.bmp")
        assert unsupported.value.code == "unsupported_image_type"
        with pytest.raises(ValidationFailed) as invalid:
            await store.save(1, noise("PNG"), "a.jpg")
        assert invalid.value.code == "invalid_image"
        assert list(invalid.value.errors) == ["avatar"]
        assert avatar_files(media_dir) == DEFAULT_FILES


@pytest.mark.parametrize(
    ("width", "height", "accepted"),
    [
        (8000, 5000, True),  # exactly MAX_AVATAR_PIXELS
        (8000, 5001, False),
        (1, MAX_AVATAR_PIXELS + 1, False),
    ],
)
async def test_store_pixel_limit(
    store: AvatarStore, width: int, height: int, accepted: bool
) -> None:
    with trio.fail_after(TIMEOUT):
        if accepted:
            await store.save(1, black_png(width, height), "a.png")
            return
        with pytest.raises(ValidationFailed) as refused:
            await store.save(1, black_png(width, height), "a.png")
        assert refused.value.code == "image_too_large"


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
async def test_store_refuses_what_pillow_warns_about_when_warnings_are_errors(
    store: AvatarStore,
) -> None:
    with trio.fail_after(TIMEOUT):
        beyond_pillow_warning = black_png(12_000, 10_000)  # 120 MP: Pillow warns from ~89 MP
        with pytest.raises(ValidationFailed) as refused:
            await store.save(1, beyond_pillow_warning, "a.png")
        assert refused.value.code == "image_too_large"


async def test_store_keeps_the_grey_of_a_16_bit_png(store: AvatarStore, media_dir: Path) -> None:
    with trio.fail_after(TIMEOUT):
        grey = encoded(Image.new("I;16", (64, 64), 40_000), "PNG")  # 40000/65535 ≈ 155/255
        stem = await store.save(1, grey, "grey.png")
        with Image.open(media_dir / "avatars" / f"{stem}-64.webp") as image:
            assert near(image.convert("RGB").getpixel((32, 32)), (155, 155, 155), tolerance=4)


async def test_store_decodes_at_most_a_few_images_at_once(
    store: AvatarStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    decode = avatars._decode
    lock = threading.Lock()
    running = most = 0

    def slow_decode(upload: bytes, image_format: str) -> Image.Image:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # long enough for every waiting upload to pile up
            return decode(upload, image_format)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(avatars, "_decode", slow_decode)
    picture = noise("PNG")
    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for _ in range(3 * MAX_CONCURRENT_ENCODES):
                nursery.start_soon(store.save, 1, picture, "a.png")
    assert most == MAX_CONCURRENT_ENCODES
