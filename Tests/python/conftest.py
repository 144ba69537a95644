import os, pathlib
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

@pytest.fixture(scope="session")
def unmask_bin():
    b = os.environ.get("UNMASK_BIN", str(ROOT / ".build" / "release" / "unmask"))
    if not os.path.exists(b):
        pytest.fail(f"built binary not found at {b}: run `swift build -c release` first")
    return b
