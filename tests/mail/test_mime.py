from __future__ import annotations

from listhaven.mail.headers import split_message
from listhaven.mail.limits import ParseLimits
from listhaven.mail.mime import Leaf, decode_payload, mime_leaves, split_multipart


def test_split_multipart_parts_and_closing() -> None:
    body = b"preamble\n--b\nA\n--b\r\nB\r\n--b--\nepilogue\n"
    assert split_multipart(body, "b") == ([b"A", b"B"], True)


def test_boundary_that_extends_the_outer_one_is_not_a_delimiter() -> None:
    body = b"--b\nX\n--bb\nstill X\n--b--\n"
    assert split_multipart(body, "b") == ([b"X\n--bb\nstill X"], True)


def test_missing_closing_boundary_keeps_last_part() -> None:
    assert split_multipart(b"--b\nA\n--b\nB\n", "b") == ([b"A", b"B\n"], False)
    assert split_multipart(b"no boundary here", "b") is None
    assert split_multipart(b"--\n", "") is None


def _leaves(raw: bytes, limits: ParseLimits | None = None) -> tuple[list[Leaf], list[str]]:
    headers, body, _ = split_message(raw)
    return mime_leaves(headers, body, limits or ParseLimits())


def test_nested_leaves_in_document_order() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="outer"\n\n'
        b'--outer\nContent-Type: multipart/alternative; boundary="inner"\n\n'
        b"--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<p>html</p>\n--inner--\n"
        b"--outer\nContent-Type: image/png; name=\"a.png\"\nContent-Transfer-Encoding: base64\n\niVBORw==\n--outer--\n"
    )
    leaves, defects = _leaves(raw)
    assert [leaf.content_type for leaf in leaves] == ["text/plain", "text/html", "image/png"]
    assert leaves[2].filename == "a.png" and decode_payload(leaves[2])[0] == b"\x89PNG"
    assert defects == []


def test_depth_limit_stops_descent() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b0\n\n"
    for level in range(1, 5):
        raw += b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level - 1, level)
    raw += b"--b4\n\ntext\n--b4--\n"
    leaves, defects = _leaves(raw, ParseLimits(max_depth=2))
    assert leaves == [] and any("deeper than 2" in defect for defect in defects)


def test_transfer_decoding_tolerates_broken_input() -> None:
    def leaf(encoding: str, payload: bytes) -> Leaf:
        return Leaf("text/plain", {}, False, None, encoding, payload)

    assert decode_payload(leaf("base64", b"aGVsbG8gd29ybGQ"))[0] == b"hello world"
    data, _ = decode_payload(leaf("base64", b"aGVs*bG8=\x00garbage==="))
    assert data.startswith(b"hel")
    assert decode_payload(leaf("quoted-printable", b"caf=C3=A9 =ZZ=\r\nsoft"))[0] == b"caf\xc3\xa9 =ZZsoft"
    assert decode_payload(leaf("x-uuencode", b"abc")) == (b"abc", None)
    assert decode_payload(leaf("weird", b"abc"))[1]
