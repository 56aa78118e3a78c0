"""System checks: refuse to start with a set-up that would print wrong documents."""

from django.core.checks import Error, Warning, register

from config import proxy  # noqa: F401  (registers the trusted-proxy deploy check)
from deliberation.documents.pdf import font_problems, harfbuzz_subset_available


@register()
def check_document_fonts(app_configs=None, **kwargs):
    """Chinese PDFs need the Noto CJK faces; without them WeasyPrint prints empty boxes."""
    messages = [
        Error(
            problem,
            hint="Install Debian's fonts-noto-cjk (`make system`) or set DOCUMENT_FONTS.",
            id="documents.E001",
        )
        for problem in font_problems()
    ]
    if not harfbuzz_subset_available():
        messages.append(
            Warning(
                "HarfBuzz-subset is missing: WeasyPrint falls back to fontTools and a Chinese "
                "PDF takes about 20 times longer (seconds instead of a fraction of one).",
                hint="Install Debian's libharfbuzz-subset0 (`make system`).",
                id="documents.W001",
            )
        )
    return messages


@register()
def check_pdf_parser(app_configs=None, **kwargs):
    """Uploaded PDFs are opened with pypdf before they are stored (deliberation.uploads)."""
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return [
            Error(
                "pypdf is not installed: uploaded PDFs (mandates, quotes, applications) cannot "
                "be checked, so every one would be refused.",
                hint="Install the pinned requirements (`make install`).",
                id="documents.E002",
            )
        ]
    return []
