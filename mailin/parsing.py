"""Reading an incoming message robustly: pure functions, no database (issue 16 "Bad input").

Mail here arrives in UTF-8, GB2312/GBK/GB18030 and Big5, often with a wrong or missing charset label,
and from programs that write raw 8-bit headers. Nothing in this module raises on a malformed
message: what cannot be read is reported in ``Parsed.problems`` and the caller decides.
"""
import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

# Labels that under-promise what senders actually write: a "gb2312" mail often holds GBK characters,
# and Big5 mail from Windows is really code page 950. Decode with the superset.
CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
                     "euc-cn": "gb18030", "big5": "cp950", "big5-hkscs": "big5hkscs", "x-big5": "cp950",
                     "us-ascii": "utf-8", "ascii": "utf-8"}
WESTERN_SINGLE_BYTE = {"iso-8859-1", "latin1", "latin-1", "iso-8859-15", "windows-1252", "cp1252"}
# CJK ideographs and CJK punctuation / full-width forms.
_CJK_RE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
MAX_DEPTH = 20  # deeper nesting than this is hostile, not a real mail program
MAX_PARTS = 200
MAX_TEXT_CHARS = 200_000

_ID_RE = re.compile(r"<([^<>\s]+)>")


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes whose label may be wrong: the declared charset (read as its superset), then
    UTF-8, then GB18030, then Big5, strictly; else UTF-8 with replacement characters.

    UTF-8 is tried before GB18030 because a strict UTF-8 decode almost never succeeds on anything
    else, while GB18030 accepts most byte strings (it would turn UTF-8 Chinese into other Chinese).
    """
    tried = []
    label = (declared or "").strip().strip('"').lower()
    if label in WESTERN_SINGLE_BYTE and any(b > 0x7F for b in data):
        # A Western single-byte label decodes any bytes, so it cannot be wrong by failing. Chinese mail
        # programs label GBK text "iso-8859-1" often enough: believe the label only if the text does
        # not read as UTF-8 or as mostly-Chinese GB18030.
        for charset in ("utf-8", "gb18030"):
            try:
                text = data.decode(charset)
            except UnicodeDecodeError:
                continue
            high = [ch for ch in text if ord(ch) > 0x7F]
            if charset == "utf-8" or sum(1 for ch in high if _CJK_RE.match(ch)) >= 0.6 * len(high):
                return text
    if label:
        tried.append(CHARSET_SUPERSETS.get(label, label))
    tried += ["utf-8", "gb18030", "cp950"]
    for charset in tried:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _unescape_header(value: str) -> str:
    """A header string that may hold raw 8-bit bytes (surrogate-escaped by the parser) → real text."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return decode_bytes(value.encode("utf-8", errors="surrogateescape"))
    return value


def decode_header_value(raw) -> str:
    """An encoded-word header (=?GBK?B?...?=) or a raw 8-bit one, as text on one line."""
    if raw is None:
        return ""
    try:
        parts = decode_header(str(raw) if not isinstance(raw, str) else raw)
    except Exception:  # noqa: BLE001 — a broken encoded word: keep the header as it stands
        return _unescape_header(str(raw))
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset) if charset else _unescape_header(
                chunk.decode("ascii", errors="surrogateescape")))
        else:
            out.append(_unescape_header(chunk))
    return " ".join(" ".join(out).split())


def html_to_text(markup: str) -> str:
    """Safe plain text from HTML: tags and scripts gone, line breaks kept, entities decoded."""
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>", "\n", markup)
    markup = re.sub(r"(?i)</(p|div|li|tr|h[1-6]|blockquote|table|ul|ol)\s*>", "\n", markup)
    markup = re.sub(r"(?i)<li\b[^>]*>", "\n• ", markup)
    text = nh3.clean(markup, tags=set(), attributes={}, strip_comments=True)
    text = html_lib.unescape(text)
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class Attachment:
    filename: str
    data: bytes
    content_type: str


@dataclass
class Parsed:
    message_id: str = ""  # without angle brackets; "sha256:…" when the message has none
    sender: str = ""  # lower-cased address
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    thread_ids: list[str] = field(default_factory=list)  # In-Reply-To then References, newest first
    loop: str = ""  # "auto_reply" / "bounce" / "list": never a ticket, never an acknowledgement
    problems: list[str] = field(default_factory=list)  # what could not be read (kept for the notes)


def _header(msg, name: str) -> str:
    """The raw header as stored (8-bit bytes surrogate-escaped, not replaced: decode_header_value reads them)."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return str(value)
    return ""


def _ids(value: str) -> list[str]:
    return _ID_RE.findall(value or "")


def loop_reason(msg, sender: str) -> str:
    """Why this message must not open a ticket or be answered (RFC 3834 and common practice), or ""."""
    ctype = (_header(msg, "Content-Type") or "").lower()
    local = sender.split("@", 1)[0]
    return_path = _header(msg, "Return-Path").replace(" ", "")
    if "multipart/report" in ctype or return_path == "<>" or local in ("mailer-daemon", "postmaster"):
        return "bounce"
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return "auto_reply"
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        return "auto_reply"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond") or _header(msg, "X-Auto-Response-Suppress"):
        return "auto_reply"
    if precedence in ("bulk", "junk", "list") or _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "list"
    return ""


def _walk(part, depth: int, out: list, problems: list) -> None:
    """Leaf parts in order; nesting past MAX_DEPTH or more than MAX_PARTS parts is cut and reported."""
    if depth > MAX_DEPTH:
        problems.append("nesting too deep")
        return
    if part.is_multipart():
        try:
            children = part.get_payload()
        except Exception:  # noqa: BLE001
            problems.append("unreadable multipart")
            return
        for child in children if isinstance(children, list) else []:
            if len(out) >= MAX_PARTS:
                problems.append("too many parts")
                return
            _walk(child, depth + 1, out, problems)
    elif part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if inner is not None:
            _walk(inner, depth + 1, out, problems)
    else:
        out.append(part)


def _filename(part) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        name = part.get_param("name") or ""
        if isinstance(name, tuple):
            name = name[2]
    name = decode_header_value(str(name)) if name else ""
    # Never a path from the sender: the last component only.
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:150]


def parse(raw: bytes) -> Parsed:
    """Everything intake needs from ``raw``; never raises."""
    out = Parsed()
    try:
        msg: EmailMessage = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 — hardly reachable: the parser is lenient by design
        out.message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
        out.problems.append(f"unparseable message ({type(exc).__name__})")
        return out
    ids = _ids(_header(msg, "Message-ID"))
    out.message_id = ids[0][:255] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()

    sender_raw = decode_header_value(_header(msg, "From"))
    name, address = parseaddr(sender_raw)
    if "@" not in address:
        # Some programs write only "Reply-To" or "Sender"; a message with no address at all is not answerable.
        for header in ("Sender", "Reply-To"):
            pairs = getaddresses([decode_header_value(_header(msg, header))])
            found = [a for _n, a in pairs if "@" in a]
            if found:
                address = found[0]
                break
    out.sender = address.strip().lower()[:254] if "@" in address else ""
    out.sender_name = name.strip()[:200]
    out.subject = decode_header_value(_header(msg, "Subject"))[:255]
    out.thread_ids = _ids(_header(msg, "In-Reply-To")) + list(reversed(_ids(_header(msg, "References"))))
    out.loop = loop_reason(msg, out.sender)

    leaves: list = []
    _walk(msg, 0, leaves, out.problems)
    plain, html = [], []
    for part in leaves:
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
        filename = _filename(part)
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001 — broken base64/quoted-printable
            out.problems.append(f"unreadable part {ctype}")
            continue
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = decode_bytes(data, part.get_content_charset())
            (plain if ctype == "text/plain" else html).append(text)
        elif filename or disposition in ("attachment", "inline"):
            out.attachments.append(Attachment(filename=filename or "attachment", data=data, content_type=ctype))
    if plain:
        out.text = "\n\n".join(t.strip() for t in plain if t.strip())
    elif html:
        out.text = "\n\n".join(html_to_text(t) for t in html)
    out.text = out.text.replace("\r\n", "\n").replace("\x00", "")[:MAX_TEXT_CHARS]
    return out
