"""``python -m iop_scheduler``: the same as the ``iop-scheduler`` command."""

from .cli import main

if __name__ == "__main__":
    main()
