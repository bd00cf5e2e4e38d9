"""Sending a report by email over SMTP (the standard library's smtplib; the box's operator
configures the server: SITESPEAK_SMTP_*)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sitespeak.errors import Unavailable
from sitespeak.settings import Settings


def send(settings: Settings, to: str, subject: str, body: str, csv_name: str, csv: str) -> None:
    """One email with the report as text and as a CSV attachment; an SMTP failure raises
    Unavailable (the job retries it)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, to, subject
    message.set_content(body)
    message.add_attachment(csv.encode(), maintype="text", subtype="csv", filename=csv_name)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise Unavailable(f"the report email to {to} could not be sent: {exc}") from exc
