"""Handing letters to an SMTP server: smtplib, STARTTLS, a login from the environment only.

The server comes from the rules folder's letters.yaml (`smtp:` host, port, starttls). The
login, when the server needs one, is read from TANDEM_SMTP_USER and TANDEM_SMTP_PASSWORD
and sent only once STARTTLS protects the connection; TANDEM_SMTP_CAFILE names a private
certificate authority to trust. Each letter goes to its one address, given to the server
apart from the headers, so that nothing in a header can add a recipient.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from types import TracebackType
from typing import TYPE_CHECKING

from engine.base.errors import TandemError

if TYPE_CHECKING:
    from engine.program.letters import Letter, LetterSettings


class MailError(TandemError):
    """The server could not be reached or refused a letter."""


class Mailer:
    """One connection to the server for a whole batch of letters."""

    def __init__(self, settings: LetterSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        server = self.settings.smtp
        user = os.environ.get("TANDEM_SMTP_USER")
        password = os.environ.get("TANDEM_SMTP_PASSWORD")
        if user and not server.starttls:
            raise MailError("TANDEM_SMTP_USER is set but letters.yaml turns STARTTLS off; a "
                            "login is never sent in clear, so set smtp.starttls: true")
        try:
            self.smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            if server.starttls:
                context = ssl.create_default_context(cafile=os.environ.get("TANDEM_SMTP_CAFILE"))
                self.smtp.starttls(context=context)
            if user:
                self.smtp.login(user, password or "")
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise MailError(f"cannot use the SMTP server {server.host}:{server.port} ({exc}); "
                            "check smtp: in letters.yaml and the TANDEM_SMTP_* variables; "
                            "nothing was sent") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def deliver(self, letter: Letter) -> None:
        assert self.smtp is not None, "use Mailer as a context manager"
        message = letter.message(self.settings)
        try:
            refused = self.smtp.send_message(message, to_addrs=[letter.email])
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"the SMTP server refused the letter to {letter.recipient} ({exc}); "
                            "the letters sent before it are recorded, the others were not "
                            "sent: run the same command again once fixed") from None
        if refused:
            raise MailError(f"the SMTP server refused the address of {letter.recipient}; the "
                            "letters sent before it are recorded")
