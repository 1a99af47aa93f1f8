"""Reading the corpora in ../shared/data for the sample scripts: JSON lines with errors that name the file and line,
and files that must exist."""

import json
import os


def json_lines(path):
    """Each non-blank line of a JSON-lines file, parsed; a line that is not JSON stops with its file and line number."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise SystemExit(f"error: {path}, line {number}: not JSON ({e.msg})")


def require(path):
    """The path, or a stop naming it when it is not a file."""
    if not os.path.isfile(path):
        raise SystemExit(f"error: {path} does not exist (is --shared the folder that holds data/?)")
    return path
