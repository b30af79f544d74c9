"""Command handlers: each module holds `main(args) -> int` for one sub-command group.

The CLI (consultant.cli) only parses arguments and dispatches here; handlers call the
service or the pure functions and turn results into output and an exit code.
"""
