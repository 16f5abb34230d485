"""Raw test messages, written the way real mail programs write them (including the odd ones)."""
import base64
import uuid
from email.message import EmailMessage
from email.utils import formatdate


def mail(*, sender="Zhang San <zhang@example.com>", subject="Air conditioner not cooling",
         body="The air conditioner in the office stopped cooling yesterday.", message_id=None,
         headers=None, attachments=(), html=None) -> bytes:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = "service@test"
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.com>"
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None and body is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def raw_charset_mail(*, text: str, charset: str, declared: str | None = None, subject_charset: str | None = None,
                     subject: str = "", sender: str = "wang@example.com") -> bytes:
    """A single-part message in a legacy charset, optionally labelled wrongly, with an encoded-word subject."""
    encoded_subject = subject
    if subject_charset:
        encoded_subject = f"=?{subject_charset}?B?{base64.b64encode(subject.encode(subject_charset)).decode()}?="
    head = (f"From: {sender}\r\nTo: service@test\r\nSubject: {encoded_subject}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={declared or charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    return head.encode("ascii") + base64.encodebytes(text.encode(charset))


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
