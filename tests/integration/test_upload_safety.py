"""Hostile uploads: sniffed by content, size-limited, re-encoded, stored privately."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from deliberation.models import Topic
from deliberation.uploads import serve_private, store_private, validate_image

pytestmark = pytest.mark.django_db

PHP = b"<?php system($_GET['c']); ?>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


def jpeg(width=40, height=30, exif=False):
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x8825] = {2: (39.0, 54.0, 0.0)}  # a GPS position
        data[0x010F] = "SecretCam"
        kwargs["exif"] = data
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def png_header_only(width, height):
    """A PNG that claims a huge canvas in a few bytes: a decompression bomb's header."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refused_code(data, name="photo.jpg"):
    with pytest.raises(ValidationError) as refused:
        validate_image(upload(name, data))
    return refused.value.code


def test_a_php_script_renamed_jpg_is_refused():
    assert refused_code(PHP, "shell.php.jpg") == "not_image"


def test_an_svg_with_a_script_is_refused():
    assert refused_code(SVG, "logo.svg") == "not_image"


def test_a_50_mb_file_is_refused_by_its_size():
    assert refused_code(b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)) == "too_large"


def test_a_file_that_lies_about_its_size_is_still_cut_off(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    lying = upload("big.jpg", jpeg(800, 800))
    lying.size = 10
    with pytest.raises(ValidationError) as refused:
        validate_image(lying)
    assert refused.value.code == "too_large"


def test_a_decompression_bomb_is_refused_before_decoding():
    assert refused_code(png_header_only(100_000, 100_000), "bomb.png") == "not_image"


def test_a_jpeg_with_php_appended_comes_out_clean():
    data, content_type = validate_image(upload("polyglot.jpg", jpeg() + PHP))
    assert content_type == "image/jpeg"
    assert b"<?php" not in data


def test_location_and_camera_data_are_stripped():
    data, _ = validate_image(upload("gps.jpg", jpeg(exif=True)))
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
    assert b"SecretCam" not in data


def test_stored_files_live_outside_the_static_root_and_cannot_escape_it(settings):
    path = store_private(b"x", folder="topics", suffix=".jpg")
    stored = settings.MEDIA_ROOT / path
    assert stored.is_file()
    assert settings.STATIC_ROOT not in stored.parents
    with pytest.raises(Exception) as escaped:
        serve_private("../../etc/passwd", "text/plain")
    assert escaped.typename == "Http404"


def test_a_hostile_photo_on_a_new_topic_is_refused_and_nothing_is_saved(
    client, resident, community
):
    client.force_login(resident)
    response = client.post(
        reverse("topic_new", args=[community.pk]),
        {
            "title": "路灯坏了",
            "description": "南门路灯不亮",
            "category": "facilities",
            "scope": "community",
            "photos": upload("shell.jpg", PHP),
        },
    )
    assert response.status_code == 200
    assert "data-error-summary" in response.text
    assert not Topic.objects.exists()
