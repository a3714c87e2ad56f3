"""The `cromwes` command: serve, dev, emulator, check-config, hash-password, probe."""

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import bcrypt
import yaml
from aiohttp import web

from cromwes import runtime
from cromwes.app import create_app
from cromwes.auth.checks import auth_problems
from cromwes.config.loading import ConfigError, load_settings, masked
from cromwes.config.settings import Settings
from cromwes.observability.loglines import LogLines
from cromwes.observability.logsetup import configure_logging
from cromwes.probe import probe

logger = logging.getLogger("cromwes")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        # The emulator parses its own options: argparse's REMAINDER would refuse `--port ...`
        # right after the subcommand.
        from cromwes.emulator.__main__ import main as emulator_main

        return emulator_main(arguments[1:])
    parser = _parser()
    args = parser.parse_args(arguments)
    if args.command == "hash-password":
        return _hash_password(args.password)
    try:
        settings = load_settings(
            args.config or os.environ.get("CROMWES_CONFIG"), os.environ, checks=(auth_problems,)
        )
    except ConfigError as exc:
        print(f"cromwes: {exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(yaml.safe_dump(masked(settings), sort_keys=False), end="")
        return 0
    if args.command == "probe":
        healthy, report = probe(settings, ready=args.ready)
        print(f"cromwes probe: {report}", file=sys.stdout if healthy else sys.stderr)
        return 0 if healthy else 1
    lines = configure_logging(settings.observability)
    try:
        if args.command == "dev":
            from cromwes.devserver import DevOptions, run_dev

            options = DevOptions(
                data_dir=Path(args.data_dir), emulator_port=args.emulator_port, port=args.port
            )
            return run_dev(settings, options, os.environ, log_lines=lines)
        return serve(settings, lines)
    finally:
        lines.close()


def serve(settings: Settings, lines: LogLines | None = None) -> int:
    app = create_app(settings, log_lines=lines)
    runtime.tune_collector()
    web.run_app(
        app,
        host=settings.bind_address,
        port=settings.server.port,
        access_log=None,
        loop=runtime.new_loop(),
        print=lambda text: logger.info("%s", text.strip()),
    )
    return 0


def _hash_password(password: str | None) -> int:
    if password is None:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    if not password:
        print("cromwes: empty password", file=sys.stderr)
        return 2
    print(bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cromwes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "serve the gateway in front of the Cromwell at cromwell.url"),
        (
            "dev",
            "serve the Cromwell emulator (a child process that runs every submitted command on"
            " this host) and the gateway in front of it; Ctrl-C stops both",
        ),
        ("check-config", "print the effective settings (secrets masked); exit 2 if invalid"),
        ("probe", "exit 0 if the gateway these settings describe is live (HEALTHCHECK)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--config", help="YAML settings file (default: $CROMWES_CONFIG)")
        if name == "probe":
            command.add_argument("--ready", action="store_true", help="ask readiness instead")
        if name == "dev":
            command.add_argument(
                "--port", type=int, default=None,
                help="the gateway's port; 0 picks a free one (default: server.port, 8090)",
            )  # fmt: skip
            command.add_argument(
                "--emulator-port", type=int, default=8000,
                help="the emulator's Cromwell API port on 127.0.0.1; 0 picks a free one; the"
                " gateway always points at it, whatever cromwell.url says (default: %(default)s)",
            )  # fmt: skip
            command.add_argument(
                "--data-dir", default=".data/emulator",
                help="the emulator's state (SQLite, submissions) and cromwell-executions/, the"
                " only part the gateway may read (default: %(default)s)",
            )  # fmt: skip
    hash_password = commands.add_parser("hash-password", help="print a bcrypt hash for BASIC_AUTH")
    hash_password.add_argument("--password", help="default: read from the terminal or stdin")
    emulator = commands.add_parser("emulator", help="serve the Cromwell emulator only")
    emulator.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


if __name__ == "__main__":
    sys.exit(main())
