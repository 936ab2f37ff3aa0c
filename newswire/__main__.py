"""``python -m newswire``: the same as the ``newswire`` console script."""

from newswire.cli import main

if __name__ == "__main__":
    main()
