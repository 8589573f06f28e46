# A handler for Debian's aiosmtpd, for the email tests (Infrastructure/SmtpReceiver.cs):
#   /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:<port> -c smtp_save_handler.SaveHandler <folder>
# Each accepted message is written to <folder>/<n>.eml (renamed into place whole), after two headers carrying
# its envelope, X-Envelope-From and X-Envelope-To. While <folder>/answer exists, its first line (such as
# "451 4.3.0 Try again later" or "550 5.1.1 No such user") is the reply to DATA instead, and nothing is saved.
import os
import uuid


class SaveHandler:
    def __init__(self, folder):
        self.folder = folder

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("SaveHandler takes one argument: the folder to save messages in")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        answer = os.path.join(self.folder, "answer")
        if os.path.exists(answer):
            with open(answer, encoding="utf-8") as f:
                line = f.readline().strip()
            if line:
                return line
        name = uuid.uuid4().hex
        temporary = os.path.join(self.folder, name + ".tmp")
        with open(temporary, "wb") as f:
            f.write(("X-Envelope-From: %s\r\n" % envelope.mail_from).encode("utf-8"))
            f.write(("X-Envelope-To: %s\r\n" % ",".join(envelope.rcpt_tos)).encode("utf-8"))
            f.write(envelope.original_content or envelope.content)
        os.rename(temporary, os.path.join(self.folder, name + ".eml"))
        return "250 2.0.0 Message accepted"
