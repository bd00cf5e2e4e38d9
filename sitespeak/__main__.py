"""``python -m sitespeak``: the one entrypoint of every process and admin command."""

from sitespeak.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
