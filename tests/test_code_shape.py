"""The code's shape: no module of the package over 600 lines (issue 29). Split a module
that grows past it into modules whose names say what they hold."""

from pathlib import Path

MAX_LINES = 600
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "facecues"


def test_no_module_is_over_600_lines():
    lengths = {
        path.relative_to(PACKAGE.parent): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert lengths, f"no modules found under {PACKAGE}"
    over = [f"{path} ({n} lines)" for path, n in lengths.items() if n > MAX_LINES]
    assert not over, f"modules over {MAX_LINES} lines: {', '.join(over)}"
