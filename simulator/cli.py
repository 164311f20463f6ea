"""The command line: ``python -m simulator URL AMT [options]`` (or ``scripts/simulate``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import sys
from typing import Any, TextIO

from .client import SMARTCAR_TIMEOUT
from .engine import STATE_VARIABLE, StateError, StateFile, default_state_file, run
from .report import (
    DROPPED,
    FAULT_ACCEPTED,
    FAULT_OTHER,
    FAULT_REJECTED,
    RETRYING,
    DeliveryRecord,
    Report,
    Verification,
)
from .scenario import DEFAULT_COUNT, DEFAULT_INTERVAL, SCENARIOS

EXIT_INTERRUPTED = 130
DESCRIPTION = """\
Play Smartcar's side of a vehicle-data webhook: send a VERIFY, then signed VEHICLE_STATE
and VEHICLE_ERROR events, retry refused deliveries on Smartcar's schedule, and report every
answer. Exit code 0 when verification passed and every genuine event was accepted (and no
injected fault was), 1 otherwise.

The simulated cars are the same on every run (stable vehicle ids) and continue from where
the last run left them, kept in a state file: a receiver never sees an odometer go back.
"""
EPILOG = """\
examples:
  SMARTCAR_AMT=... %(prog)s http://127.0.0.1:8123/api/webhook/<id>
  %(prog)s URL --verify-only
  %(prog)s URL --vehicles 3 --speed 0.1 --duplicates --reorder --bad-signature --malformed
  %(prog)s URL --scenario stream --count 500 --interval 0.05 --json
  %(prog)s URL --vehicles 2 --skip-vehicles 2   # the 3rd and 4th car (scripts/demo drives 2)
Pass the token in SMARTCAR_AMT rather than on the command line, where other users of the
machine can see it in the process list.
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options; URL and token fall back to SMARTCAR_URL and SMARTCAR_AMT."""
    parser = argparse.ArgumentParser(
        prog="scripts/simulate",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", nargs="?", help="callback URL (default: $SMARTCAR_URL)")
    parser.add_argument(
        "token", nargs="?", help="Application Management Token (default: $SMARTCAR_AMT)"
    )
    parser.add_argument("--vehicles", type=int, default=1, metavar="N", help="default 1")
    parser.add_argument(
        "--skip-vehicles",
        type=int,
        default=0,
        metavar="N",
        help="leave out the fleet's first N cars, e.g. those another simulator drives",
    )
    parser.add_argument("--scenario", choices=SCENARIOS, default="full", help="default full")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="scale all waits and retry delays (0.01 = 100 times faster; default 1)",
    )
    parser.add_argument(
        "--count", type=int, default=DEFAULT_COUNT, help="stream: deliveries in all"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help="stream: seconds between deliveries (scaled by --speed)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per report line")
    faults = parser.add_argument_group("fault injection (expected rejections do not fail)")
    faults.add_argument(
        "--duplicates", action="store_true", help="resend events: same eventId, new deliveryId"
    )
    faults.add_argument(
        "--reorder", action="store_true", help="deliver some events after a newer one"
    )
    faults.add_argument(
        "--bad-signature",
        action="store_true",
        help="forged copies: wrong key, no signature, signature over other bytes (expect 401)",
    )
    faults.add_argument(
        "--malformed",
        action="store_true",
        help="non-JSON and non-object bodies (expect 400), one over 64 KiB (expect 413)",
    )
    faults.add_argument("--faults", action="store_true", help="all four of the above")
    verify_group = parser.add_argument_group("verification")
    verify_group.add_argument("--verify-only", action="store_true", help="only send a VERIFY")
    verify_group.add_argument(
        "--skip-verify", action="store_true", help="send events without a VERIFY first"
    )
    verify_group.add_argument(
        "--sign-verify", action="store_true", help="put a valid SC-Signature on the VERIFY"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=SMARTCAR_TIMEOUT,
        metavar="SECONDS",
        help="answer timeout, not scaled (default 15, as Smartcar)",
    )
    parser.add_argument("--insecure", action="store_true", help="do not check the TLS certificate")
    parser.add_argument("--seed", type=int, help="make the choice of faulty events repeatable")
    cars = parser.add_argument_group("where the cars were")
    cars.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="the cars' last values, read at the start and kept after every event "
        f"(default: ${STATE_VARIABLE}, else smartcar-simulator/vehicles.json in "
        "$XDG_STATE_HOME or ~/.local/state)",
    )
    cars.add_argument(
        "--no-state",
        action="store_true",
        help="start the cars from their initial values and keep nothing (for a fresh "
        "Home Assistant; on one that saw them before, values may go backwards)",
    )
    args = parser.parse_args(argv)
    args.url = args.url or os.environ.get("SMARTCAR_URL")
    args.token = args.token or os.environ.get("SMARTCAR_AMT")
    if not args.url:
        parser.error("give the callback URL as an argument or in SMARTCAR_URL")
    if not args.token:
        parser.error("give the Application Management Token as an argument or in SMARTCAR_AMT")
    if args.verify_only and args.skip_verify:
        parser.error("--verify-only and --skip-verify exclude each other")
    if args.speed <= 0:
        parser.error("--speed must be positive")
    if args.vehicles < 1:
        parser.error("--vehicles must be at least 1")
    if args.skip_vehicles < 0:
        parser.error("--skip-vehicles must not be negative")
    if args.state is not None and args.no_state:
        parser.error("--state and --no-state exclude each other")
    if not args.no_state and args.state is None:
        args.state = default_state_file()
    if args.faults:
        args.duplicates = args.reorder = args.bad_signature = args.malformed = True
    return args


def _home(path: Path) -> str:
    """``path`` with the home directory as ``~``."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def format_verification(verification: Verification) -> str:
    """The VERIFY report line."""
    if verification.skipped:
        return "VERIFY   skipped"
    status = "no answer" if verification.status is None else str(verification.status)
    latency = "" if verification.latency_ms is None else f"  {verification.latency_ms:.1f} ms"
    verdict = "ok  " if verification.ok else "FAIL"
    return f"VERIFY   {verdict} {status}{latency}  {verification.reason}"


def format_delivery(record: DeliveryRecord) -> str:
    """One delivery report line."""
    answer = "" if record.status is None else record.result or record.error or ""
    note = {
        RETRYING: "-> retry later",
        DROPPED: "-> DROPPED after 4 attempts",
        FAULT_REJECTED: "-> refused as expected",
        FAULT_OTHER: "-> refused, but expected "
        + "/".join(str(status) for status in record.expected or ()),
        FAULT_ACCEPTED: "-> ACCEPTED, but must be refused",
    }.get(record.outcome, "")
    what = record.label
    if record.fault:
        what = f"[{record.fault}]" + (f" copy of: {what}" if what else "")
    elif record.tag:
        what = f"[{record.tag}] {what}"
    return (
        f"{record.seq:>5}  {record.event_type or '-':<13}  {record.vehicle or '-':<22} "
        f"try {record.attempt}/{record.attempts}  {record.answer:>4}  {answer[:24]:<24} "
        f"{record.latency_ms:>8.1f} ms  {what}  {note}"
        + (f" ({record.error})" if record.status is None else "")
    ).rstrip()


class Printer:
    """Writes report lines as they happen, for people or as JSON lines."""

    def __init__(self, *, as_json: bool, out: TextIO) -> None:
        """Choose the format and the stream."""
        self.as_json = as_json
        self.out = out
        self.verification: Verification | None = None
        self.records: list[DeliveryRecord] = []

    def __call__(self, item: Verification | DeliveryRecord) -> None:
        """Listener for :func:`simulator.run`."""
        if isinstance(item, Verification):
            self.verification = item
        else:
            self.records.append(item)
        if self.as_json:
            self._json(item.to_json())
        else:
            text = (
                format_verification(item)
                if isinstance(item, Verification)
                else format_delivery(item)
            )
            print(text, file=self.out, flush=True)

    def _json(self, line: dict[str, Any]) -> None:
        print(json.dumps(line, separators=(",", ":")), file=self.out, flush=True)

    def header(self, args: argparse.Namespace) -> None:
        """What is about to happen (never the token)."""
        line = {
            "type": "start",
            "url": args.url,
            "scenario": args.scenario,
            "vehicles": args.vehicles,
            "skip_vehicles": args.skip_vehicles,
            "speed": args.speed,
            "state": None if args.state is None else str(args.state),
        }
        if self.as_json:
            self._json(line)
        else:
            skipped = f" after the first {args.skip_vehicles}" if args.skip_vehicles else ""
            print(
                f"Smartcar simulator: scenario {args.scenario}, {args.vehicles} vehicle(s)"
                f"{skipped}, speed {args.speed:g} -> {args.url}",
                file=self.out,
                flush=True,
            )
            if args.state is not None and not args.verify_only:
                print(
                    f"The cars continue from where {_home(args.state)} says they were.",
                    file=self.out,
                    flush=True,
                )

    def summary(self, report: Report, *, interrupted: bool = False) -> None:
        """The closing summary."""
        if self.as_json:
            self._json({**report.summary(), "interrupted": interrupted})
            return
        lines = report.summary_lines()
        if interrupted:
            lines.insert(0, "Interrupted: summary of what was sent so far")
            lines[-1] = "Result: INTERRUPTED"
        print("\n".join(["", *lines]), file=self.out, flush=True)


async def main_async(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command in an existing event loop; return the exit code."""
    args = parse_args(argv)
    printer = Printer(as_json=args.json, out=out or sys.stdout)
    printer.header(args)
    try:
        report = await run(
            args.url,
            args.token,
            vehicles=args.vehicles,
            scenario=args.scenario,
            speed=args.speed,
            count=args.count,
            interval=args.interval,
            first_vehicle=args.skip_vehicles,
            state=None if args.state is None else StateFile(args.state, "scripts/simulate"),
            duplicates=args.duplicates,
            reorder=args.reorder,
            bad_signature=args.bad_signature,
            malformed=args.malformed,
            verify_only=args.verify_only,
            skip_verify=args.skip_verify,
            sign_verify=args.sign_verify,
            answer_timeout=args.timeout,
            insecure=args.insecure,
            seed=args.seed,
            listener=printer,
        )
    except StateError as err:
        sys.stderr.write(f"scripts/simulate: {err}\n")
        return 1
    except asyncio.CancelledError:
        partial = Report(
            url=args.url,
            scenario=args.scenario,
            vehicles=args.vehicles,
            verification=printer.verification
            or Verification(ok=False, status=None, latency_ms=None, reason="interrupted"),
            events=len({r.event_id for r in printer.records if r.fault is None}),
            deliveries=printer.records,
        )
        printer.summary(partial, interrupted=True)
        return EXIT_INTERRUPTED
    printer.summary(report)
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m simulator``."""
    try:
        return asyncio.run(main_async(argv))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
