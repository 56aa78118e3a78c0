"""Image uploads: the type is sniffed from content, metadata is stripped, limits hold."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.uploads import serve_private, store_private, validate_image


def image_file(fmt="JPEG", mode="RGB", size=(20, 10), name="photo.jpg", **save):
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt, **save)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_jpeg_comes_back_re_encoded_without_exif():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N"}  # GPS block
    data, content_type = validate_image(image_file(exif=exif))
    assert content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(data)).getexif()


def test_a_transparent_png_stays_a_png():
    data, content_type = validate_image(image_file("PNG", "RGBA", name="x.png"))
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(data)).mode == "RGBA"


def test_a_renamed_pdf_is_refused():
    upload = SimpleUploadedFile("photo.jpg", b"%PDF-1.7\n...", content_type="image/jpeg")
    with pytest.raises(ValidationError) as refused:
        validate_image(upload)
    assert refused.value.code == "not_image"


def test_a_huge_picture_is_scaled_down():
    data, _ = validate_image(image_file(size=(5000, 100)))
    assert max(Image.open(io.BytesIO(data)).size) == 2048


def test_a_file_over_the_limit_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 50
    with pytest.raises(ValidationError) as refused:
        validate_image(image_file())
    assert refused.value.code == "too_large"


def test_stored_files_cannot_escape_the_media_root(settings, tmp_path):
    from django.http import Http404

    settings.MEDIA_ROOT = tmp_path / "media"
    path = store_private(b"abc", folder="topics/1", suffix=".jpg")
    assert serve_private(path, "image/jpeg").status_code == 200
    with pytest.raises(Http404):
        serve_private("../../etc/passwd", "image/jpeg")
