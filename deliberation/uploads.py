"""Uploads, for any feature: validate, strip metadata, store privately, serve checked.

Photos are re-encoded (validate_image); PDFs are opened with a PDF parser (validate_pdf).

    data, content_type = validate_image(upload)          # raises ValidationError
    path = store_private(data, folder="topics", suffix=".jpg")
    ...
    return serve_private(path, content_type)             # after the view's own access check

Files live under MEDIA_ROOT, which the web server never serves: every photo goes through a
view that first checks that the viewer may see what it belongs to.
"""

import io
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_SIDE = 2048  # pixels; larger photos are scaled down, which also keeps files small
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def validate_image(upload):
    """Return (bytes, content_type) of a clean re-encoded copy of an uploaded image.

    The type is sniffed from the content, never taken from the name or the browser. The
    re-encoding drops EXIF (GPS position, camera serial) and every other metadata block.
    """
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The photo is too large: the limit is %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise ValidationError(
            _("The photo is too large: the limit is %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    not_an_image = ValidationError(
        _("This file is not a photo. Please choose a JPEG, PNG or WebP image."), code="not_image"
    )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise not_an_image
            if probe.width * probe.height > MAX_PIXELS:
                raise not_an_image
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            keep_alpha = image.mode in ("RGBA", "LA", "P") and image.format != "JPEG"
            out = io.BytesIO()
            if keep_alpha:
                image.convert("RGBA").save(out, format="PNG", optimize=True)
                return out.getvalue(), "image/png"
            image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
            return out.getvalue(), "image/jpeg"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None


PDF_MAGIC = b"%PDF-"
MAX_PDF_PAGES = 500
MAX_PDF_OBJECTS = 50_000
# Names that make a PDF act rather than show: script, launching programs, files inside it,
# forms that send data away. A document for owners to read needs none of them.
ACTIVE_PDF_NAMES = {
    "/JS",
    "/JavaScript",
    "/Launch",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/SubmitForm",
    "/ImportData",
    "/XFA",
    "/RichMedia",
}


def validate_pdf(data):
    """Return `data` if it is a PDF a parser can open, with pages, unencrypted and without
    script or other active content; else raise ValidationError (code "not_pdf", or
    "active_pdf" / "encrypted_pdf" with a message of its own).

    The first bytes prove nothing (an HTML page can start with %PDF-): the document's cross-
    reference table, catalogue and every page must parse, and every object reachable from the
    catalogue is looked at (dictionaries only: no stream is decompressed).
    """
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    not_pdf = ValidationError(
        _(
            "This file is not a readable PDF. Save or scan it again as a PDF, or upload a "
            "photo of it."
        ),
        code="not_pdf",
    )
    if not data.startswith(PDF_MAGIC):
        raise not_pdf
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("This PDF is password-protected. Save it without a password and upload it."),
                code="encrypted_pdf",
            )
        pages = len(reader.pages)
        if not 0 < pages <= MAX_PDF_PAGES:
            raise not_pdf
        for page in reader.pages:
            page.mediabox  # noqa: B018  (each page must parse)
        seen, todo, visited = set(), [reader.trailer["/Root"]], 0
        while todo:
            item = todo.pop()
            if isinstance(item, IndirectObject):
                if (item.idnum, item.generation) in seen:
                    continue
                seen.add((item.idnum, item.generation))
                item = item.get_object()
            visited += 1
            if visited > MAX_PDF_OBJECTS:
                raise not_pdf
            if isinstance(item, DictionaryObject):
                for key, value in item.items():
                    if key in ACTIVE_PDF_NAMES or (
                        isinstance(value, NameObject) and value in ACTIVE_PDF_NAMES
                    ):
                        raise ValidationError(
                            _(
                                "This PDF contains script or other active content. Print it "
                                "to a new PDF (or scan it) and upload that."
                            ),
                            code="active_pdf",
                        )
                    if key != "/Parent":
                        todo.append(value)
            elif isinstance(item, ArrayObject):
                todo.extend(item)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many types for broken files
        raise not_pdf from None
    return data


def suffix_for(content_type):
    return ".png" if content_type == "image/png" else ".jpg"


def _root():
    return Path(settings.MEDIA_ROOT).resolve()


def store_private(data, *, folder, suffix):
    """Write bytes under MEDIA_ROOT/folder with an unguessable name; return the relative path."""
    name = f"{secrets.token_hex(16)}{suffix}"
    target = _root() / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return f"{folder}/{name}"


def delete_private(path):
    target = (_root() / path).resolve()
    if target.is_relative_to(_root()):
        target.unlink(missing_ok=True)


def serve_private(path, content_type):
    """Stream a stored file. Call only after checking the viewer may see its owner."""
    root = _root()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
