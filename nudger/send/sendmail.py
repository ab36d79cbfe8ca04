"""Delivery through the local MTA, as cron does: `sendmail -t -oi`. A sysexits status that
means "try later" is transient, any other failure permanent, no answer in time uncertain
(send/transport.py)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from nudger.send.transport import Delivered, DeliveryError, Kind, Transport

SENDMAIL_TIMEOUT = 60.0  # seconds for the local MTA to take a message
# sendmail exit statuses (sysexits.h) that mean "try again later".
_SENDMAIL_TRANSIENT = {69, 70, 71, 74, 75}  # UNAVAILABLE, SOFTWARE, OSERR, IOERR, TEMPFAIL


class SendmailTransport(Transport):
    """Hands the message to the local MTA as cron does: `sendmail -t -oi`."""

    method = "sendmail"

    def __init__(self, executable: str, timeout: float) -> None:
        self.executable = executable
        self.timeout = timeout
        self.where = f"sendmail {executable}"

    async def send(self, message: EmailMessage) -> Delivered:
        data = message.as_bytes()
        try:
            proc = await asyncio.create_subprocess_exec(
                self.executable, "-t", "-oi",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError:
            raise DeliveryError(
                self.where, "no such program; install a mail transfer agent (e.g. "
                "`apt install msmtp-mta` or postfix) or set delivery.sendmail",
                kind="permanent") from None
        except PermissionError:
            raise DeliveryError(self.where, "not executable; check delivery.sendmail",
                                kind="permanent") from None
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), self.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise DeliveryError(self.where, f"no answer within {self.timeout:g} s",
                                kind="uncertain") from None
        if proc.returncode == 0:
            return Delivered(self.where, "accepted by the local mail system")
        text = (err or out).decode("utf-8", "replace").strip().splitlines()
        said = f": {text[0][:200]}" if text else ""
        code = proc.returncode or 0
        kind: Kind = "transient" if code < 0 or code in _SENDMAIL_TRANSIENT else "permanent"
        status = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        raise DeliveryError(self.where, f"{status}{said}", kind=kind)
