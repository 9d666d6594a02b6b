"""Bounce and complaint messages in the shapes real mail servers send, written by the project.

Each function builds one shape around a recipient address it is given, so a test can check that the
parser finds that address and not one written into the fixture. The layouts (part order, headers,
wording, folding) follow what Postfix, Exim, qmail, Microsoft Exchange and Office 365, Gmail and a
Yahoo-style server produce; the people and hosts are invented (example.org, example.com, 192.0.2.x).
"""

from __future__ import annotations

LIST_ADDRESS = "marxism@lists.example.org"
BOUNCES = "marxism-bounces@lists.example.org"
DATE = "Tue, 05 Mar 2024 10:15:00 +0000"


def verp(recipient: str) -> str:
    local, _, domain = recipient.rpartition("@")
    return f"marxism-bounces+{local}={domain}@lists.example.org"


def returned_message(recipient: str, headers_only: bool = False) -> str:
    """The list's copy for `recipient`, as a bounce quotes it back."""
    head = (
        f"Return-Path: <{verp(recipient)}>\n"
        "From: Ada Lovelace <ada@example.org>\n"
        f"To: {LIST_ADDRESS}\n"
        "Subject: [Marxism] Notes on the engine\n"
        f"Date: {DATE}\n"
        "Message-ID: <notes-1@example.org>\n"
        "List-Id: Marxism discussion <marxism.lists.example.org>\n"
        "Precedence: list\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
    )
    return head if headers_only else head + "\nThe engine weaves algebraic patterns.\n"


def _multipart(content_type: str, boundary: str, parts: list[str], preamble: str = "") -> str:
    body = preamble
    for part in parts:
        body += f"--{boundary}\n{part}\n"
    return f'Content-Type: {content_type}; boundary="{boundary}"\n\n{body}--{boundary}--\n'


def _report(head: str, boundary: str, parts: list[str], report_type: str = "delivery-status") -> bytes:
    content_type = f"multipart/report; report-type={report_type}"
    return (head + "MIME-Version: 1.0\n" + _multipart(content_type, boundary, parts)).encode("utf-8")


def postfix(recipient: str, delayed: bool = False) -> bytes:
    """Postfix's DSN: Notification, Delivery report, Undelivered Message (or its headers when delayed)."""
    if delayed:
        subject = "Delayed Mail (still being retried)"
        intro = (
            "####################################################################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
            "####################################################################\n\n"
            "Your message could not be delivered for more than 4 hour(s)."
        )
        said = f"<{recipient}>: connect to mx.example.com[192.0.2.25]:25: Connection timed out"
        block = (
            f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\nAction: delayed\n"
            "Status: 4.4.1\nDiagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.25]:25:\n"
            "    Connection timed out\nWill-Retry-Until: Tue, 10 Mar 2024 10:15:00 +0000\n"
        )
        last = "Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        last += returned_message(recipient, headers_only=True)
    else:
        subject, intro = "Undelivered Mail Returned to Sender", (
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below."
        )
        said = (
            f"<{recipient}>: host mx.example.com[192.0.2.25] said: 550 5.1.1\n"
            f"    <{recipient}>: Recipient address rejected: User unknown in local\n"
            "    recipient table (in reply to RCPT TO command)"
        )
        block = (
            f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\nAction: failed\n"
            "Status: 5.1.1\nRemote-MTA: dns; mx.example.com\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected:\n"
            "    User unknown in local recipient table\n"
        )
        last = "Content-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
        last += returned_message(recipient)
    head = (
        "Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
        f"Subject: {subject}\nTo: {verp(recipient)}\nAuto-Submitted: auto-replied\nDate: {DATE}\n"
        "Message-Id: <20240305101500.4XyZ1234@mx.example.org>\n"
    )
    notification = (
        "Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        f"This is the mail system at host mx.example.org.\n\n{intro}\n\n"
        "For further assistance, please send mail to postmaster.\n\n"
        "If you do so, please include this problem report. You can\n"
        "delete your own text from the attached returned message.\n\n"
        f"                   The mail system\n\n{said}\n"
    )
    status = (
        "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\nX-Postfix-Queue-ID: 4XyZ1234\n"
        f"X-Postfix-Sender: rfc822; {verp(recipient)}\nArrival-Date: {DATE}\n\n{block}"
    )
    return _report(head, "4XyZ1234.1709633700/mx.example.org", [notification, status, last])


def postfix_two_recipients(failed: str, delayed: str, delivered: str) -> bytes:
    """One Postfix DSN about three recipients: failed, delayed, and delivered (NOTIFY=SUCCESS)."""
    head = (
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\nTo: marxism-bounces@lists.example.org\n"
    )
    notification = "Content-Description: Notification\nContent-Type: text/plain\n\nThe mail system\n"
    status = (
        "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        f"Final-Recipient: rfc822; {failed}\nAction: failed\nStatus: 5.2.2\n"
        f"Diagnostic-Code: smtp; 552 5.2.2 <{failed}>: Mailbox full\n\n"
        f"Final-Recipient: rfc822; {delayed}\nAction: delayed\nStatus: 4.7.1\n"
        "Diagnostic-Code: smtp; 451 4.7.1 Greylisted, try again in 5 minutes\n\n"
        f"Final-Recipient: rfc822; {delivered}\nAction: delivered\nStatus: 2.0.0\n"
        "Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4AbC\n"
    )
    return _report(head, "multi.1709633700/mx.example.org", [notification, status])


def exim(recipient: str) -> bytes:
    """Exim's classic bounce: one text/plain part, X-Failed-Recipients, the message copied inline."""
    return (
        "Return-path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        f"To: {verp(recipient)}\nX-Failed-Recipients: {recipient}\nAuto-Submitted: auto-replied\n"
        "Subject: Mail delivery failed: returning message to sender\n"
        f"Message-Id: <E1rhXyZ-000123-Ab@mx.example.org>\nDate: {DATE}\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {recipient}\n    host mx.example.com [192.0.2.25]\n"
        f"    SMTP error from remote mail server after RCPT TO:<{recipient}>:\n"
        "    550 5.1.1 User unknown\n\n"
        "------ This is a copy of the message, including all the headers. ------\n\n"
        + returned_message(recipient)
    ).encode("utf-8")


def exim_delay_warning(recipient: str) -> bytes:
    """Exim's delay warning: not a failure yet, the address still queued."""
    return (
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        f"To: {verp(recipient)}\nAuto-Submitted: auto-replied\n"
        "Subject: Warning: message 1rhXyZ-000123-Ab delayed 24 hours\n"
        f"Date: {DATE}\n\n"
        "This message was created automatically by mail delivery software.\n"
        "A message that you sent has not yet been delivered to one or more of its\n"
        "recipients after more than 24 hours on the queue on mx.example.org.\n\n"
        "The message identifier is:     1rhXyZ-000123-Ab\n"
        "The subject of the message is: [Marxism] Notes on the engine\n\n"
        "The address to which the message has not yet been delivered is:\n\n"
        f"  {recipient}\n    host mx.example.com [192.0.2.25]\n"
        "    Delay reason: SMTP error from remote mail server after RCPT TO:\n"
        "    451 4.7.1 Greylisted, please try again later\n\n"
        "No action is required on your part. Delivery attempts will continue for\n"
        "some time, and this warning may be repeated at intervals if the message\n"
        "remains undelivered. Eventually the mail delivery software will give up,\n"
        "and when that happens, the message will be returned to you.\n"
    ).encode()


def qmail(recipient: str) -> bytes:
    """qmail-send's QSBMF bounce."""
    return (
        "Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.org\n"
        f"To: {verp(recipient)}\nSubject: failure notice\nDate: {DATE}\n\n"
        "Hi. This is the qmail-send program at mx.example.org.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{recipient}>:\n192.0.2.25 does not like recipient.\n"
        "Remote host said: 550 5.1.1 Mailbox unavailable\nGiving up on 192.0.2.25.\n\n"
        "--- Below this line is a copy of the message.\n\n" + returned_message(recipient)
    ).encode("utf-8")


def office365(recipient: str) -> bytes:
    """Exchange Online's NDR: multipart/alternative for people, then the DSN, then the message."""
    boundary_alt = "_000_NDR_alternative_"
    text = (
        "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Delivery has failed to these recipients or groups:\n\n"
        f"{recipient}<mailto:{recipient}>\n"
        "The email address you entered couldn't be found. Please check the recipient's email address and =\n"
        "try to resend the message.\n\nDiagnostic information for administrators:\n\n"
        "Generating server: AM0PR01MB1234.eurprd01.prod.example.com\n\n"
        f"{recipient}\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient "
        "not found by SMTP address lookup'\n"
    )
    html = (
        "Content-Type: text/html; charset=us-ascii\n\n"
        f"<html><body><p><b>Your message to {recipient} couldn't be delivered.</b></p></body></html>\n"
    )
    status = (
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.example.com\n"
        f"Received-From-MTA: dns;lists.example.org\nArrival-Date: {DATE}\n\n"
        f"Original-Recipient: rfc822;{recipient}\nFinal-Recipient: rfc822;{recipient}\nAction: failed\n"
        "Status: 5.1.10\nDiagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found\n"
        " by SMTP address lookup\n"
    )
    head = (
        "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com>\n"
        f"To: <{verp(recipient)}>\nSubject: Undeliverable: [Marxism] Notes on the engine\n"
        "Auto-Submitted: auto-replied\nX-MS-Exchange-Message-Is-Ndr: \nContent-Language: en-US\n"
    )
    alternative = _multipart("multipart/alternative", boundary_alt, [text, html])
    original = "Content-Type: message/rfc822\n\n" + returned_message(recipient)
    return _report(head, "_002_NDR_report_", [alternative, status, original])


def exchange_legacy(recipient: str) -> bytes:
    """Exchange 2003's text NDR, no DSN part: "did not reach the following recipient(s)"."""
    return (
        "From: System Administrator <postmaster@example.com>\n"
        f"To: {verp(recipient)}\nSubject: Undeliverable: [Marxism] Notes on the engine\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
        "Your message\n\n  To:      marxism@lists.example.org\n"
        "  Subject: [Marxism] Notes on the engine\n  Sent:    Tue, 5 Mar 2024 10:15:00 +0000\n\n"
        "did not reach the following recipient(s):\n\n"
        f"{recipient} on Tue, 5 Mar 2024 10:15:02 +0000\n"
        "    The e-mail account does not exist at the organization this message was sent to.\n"
        "    <mx.example.com #5.1.1>\n"
    ).encode()


def gmail(recipient: str, delayed: bool = False) -> bytes:
    """Gmail's DSN: multipart/related (text, HTML, icon), the DSN, then the message or its headers."""
    if delayed:
        words = f"There was a temporary problem delivering your message to {recipient}. Gmail will retry."
        action, status, diagnostic = "delayed", "4.4.1", "smtp; The recipient server did not accept our\n    requests"
        extra = "Will-Retry-Until: Thu, 07 Mar 2024 10:15:00 -0800 (PST)\n"
    else:
        words = f"Your message wasn't delivered to {recipient} because the address couldn't be found."
        action, status = "failed", "5.1.1"
        diagnostic = (
            "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
            "    550-5.1.1 double-checking the recipient's email address for typos or\n"
            "    550 5.1.1 unnecessary spaces. https://support.example.com/mail/?p=NoSuchUser"
        )
        extra = ""
    alternative = _multipart(
        "multipart/alternative",
        "000000000000alt",
        [
            f"Content-Type: text/plain; charset=UTF-8\n\n** Address not found **\n\n{words}\n",
            f'Content-Type: text/html; charset=UTF-8\n\n<html><body><h2>Address not found</h2><p>{words}</p>'
            "</body></html>\n",
        ],
    )
    icon = "Content-Type: image/png; name=\"icon.png\"\nContent-Transfer-Encoding: base64\nContent-ID: <icon>\n\n"
    icon += "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\n"
    related = _multipart("multipart/related", "000000000000rel", [alternative, icon])
    dsn = (
        "Content-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mail.example.com\nReceived-From-MTA: dns; lists.example.org\n"
        f"Arrival-Date: {DATE}\nX-Original-Message-ID: <notes-1@example.org>\n\n"
        f"Final-Recipient: rfc822; {recipient}\nAction: {action}\nStatus: {status}\n"
        "Remote-MTA: dns; mx.example.com. (192.0.2.25, the server for the domain example.com.)\n"
        f"Diagnostic-Code: {diagnostic}\nLast-Attempt-Date: Tue, 05 Mar 2024 02:15:03 -0800 (PST)\n{extra}"
    )
    original = "Content-Type: text/rfc822-headers\n\n" + returned_message(recipient, headers_only=True)
    head = (
        "From: Mail Delivery Subsystem <mailer-daemon@mail.example.com>\n"
        f"To: {verp(recipient)}\nAuto-Submitted: auto-replied\n"
        f"Subject: {'Delivery Status Notification (Delay)' if delayed else 'Delivery Status Notification (Failure)'}\n"
        "References: <notes-1@example.org>\nIn-Reply-To: <notes-1@example.org>\n"
        "X-Failed-Recipients: " + ("" if delayed else recipient) + "\n"
    )
    return _report(head, "000000000000report", [related, dsn, original])


def yahoo_like(recipient: str) -> bytes:
    """Yahoo's own plain-text layout (the detector keys on a mailer-daemon@yahoo… sender)."""
    return (
        "From: MAILER-DAEMON@yahoo.example.com\n"
        f"To: {verp(recipient)}\nSubject: Failure Notice\nDate: {DATE}\n\n"
        "Sorry, we were unable to deliver your message to the following address.\n\n"
        f"<{recipient}>:\nRemote host said: 554 delivery error: dd This user doesn't have a "
        "yahoo.example.com account [-5] - mta1.mail.example.com [RCPT_TO]\n\n"
        "--- Below this line is a copy of the message.\n\n" + returned_message(recipient)
    ).encode("utf-8")


def vacation_reply(recipient: str) -> bytes:
    """Not a bounce: an out-of-office answer sent to the return path."""
    return (
        f"From: Bob <{recipient}>\nTo: {verp(recipient)}\nSubject: Out of office: [Marxism] Notes on the engine\n"
        "Auto-Submitted: auto-replied\nPrecedence: bulk\n\n"
        "I am away until Monday with no access to mail.\n"
    ).encode()


def arf(
    recipient: str,
    feedback_type: str = "abuse",
    with_verp: bool = True,
    original_rcpt_to: bool = True,
    x_original_to: bool = True,
) -> bytes:
    """An RFC 5965 feedback report as a mailbox provider's feedback loop sends it.

    Providers differ in what they keep: `with_verp` False is a copy sent with the plain bounces
    address (bulk delivery); `original_rcpt_to` and `x_original_to` False are the redacted reports
    where the recipient appears nowhere but in the VERP return path.
    """
    return_path = verp(recipient) if with_verp else BOUNCES
    head = (
        "From: Feedback Loop <fbl@feedback.example.com>\nTo: abuse@lists.example.org\n"
        f"Subject: FW: [Marxism] Notes on the engine\nDate: {DATE}\n"
    )
    text = (
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "This is an email abuse report for an email message received from IP 192.0.2.10 on "
        f"{DATE}.\nFor more information about this format please see http://www.mipassoc.org/arf/.\n"
    )
    fields = (
        f"Feedback-Type: {feedback_type}\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n"
        f"Original-Mail-From: <{return_path}>\n"
        + (f"Original-Rcpt-To: <{recipient}>\n" if original_rcpt_to else "")
        + f"Arrival-Date: {DATE}\nReported-Domain: lists.example.org\nSource-IP: 192.0.2.10\n"
    )
    report = "Content-Type: message/feedback-report\n\n" + fields
    original = returned_message(recipient).replace(verp(recipient), return_path)
    if x_original_to:
        original = f"X-Original-To: {recipient}\n" + original
    parts = [text, report, "Content-Type: message/rfc822\n\n" + original]
    return _report(head, "arf-boundary", parts, "feedback-report")
