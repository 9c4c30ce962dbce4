"""A real SMTP server for the mail tests (tests/api/mail.rs): aiosmtpd on 127.0.0.1:<port>,
appending one JSON line per received message to <out> (envelope recipients, decoded headers and
plain-text body). Runs until killed.

    python smtp_recorder.py <port> <out.jsonl>
"""

import json
import sys
import threading
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "message_id": msg.get("Message-ID"),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg.get("From")),
            "to": str(msg.get("To")),
            "subject": str(msg.get("Subject")),
            "body": body.get_content() if body is not None else None,
        }
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted for delivery"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
