from __future__ import annotations

import pytest

from listhaven.mail.filenames import safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ("a\x00b.txt", "ab.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("..", "attachment-3.bin"),
        ("", "attachment-3.bin"),
        (None, "attachment-3.bin"),
        ("   \t ", "attachment-3.bin"),
        (".hidden", "hidden"),
        ("name with\nnewline.txt", "name withnewline.txt"),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name, 2, "application/octet-stream") == expected


def test_long_names_keep_extension() -> None:
    name = safe_filename("x" * 1000 + ".tar.gz", 0, "application/gzip")
    assert len(name) == 200 and name.endswith(".gz")
    assert len(safe_filename("y" * 1000, 0, "text/plain")) == 200


def test_fallback_extension_from_type() -> None:
    assert safe_filename(None, 0, "text/html") == "attachment-1.html"
    assert safe_filename(None, 1, "application/pgp-signature") == "attachment-2.asc"
