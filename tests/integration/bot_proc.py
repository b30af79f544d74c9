"""A bot process for the crash test: one pass, optionally SIGKILLing itself at a checkpoint.

    python bot_proc.py CONFIG [--crash-at recorded|sent|copied|filed]
    python bot_proc.py CONFIG --daemon        # like `consultant run` (bench/latency.py)
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from consultant.config import load_config
from consultant.service import StopSignal, build_consultant, open_knowledge, run_daemon


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--crash-at")
    ap.add_argument("--daemon", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)

    def checkpoint(name: str) -> None:
        if name == args.crash_at:
            os.kill(os.getpid(), signal.SIGKILL)      # no cleanup, no finally: like a power cut

    consultant = build_consultant(load_config(args.config), knowledge_factory=open_knowledge,
                                  checkpoint=checkpoint)
    if args.daemon:
        stop = StopSignal()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        run_daemon(consultant, stop)
        return 0
    report = consultant.process_pass()
    consultant.inbox.close()
    print(f"answered={report.answered} sent={report.sent} filed={report.filed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
