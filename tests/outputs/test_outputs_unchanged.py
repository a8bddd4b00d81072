"""The outputs of the main commands on the bundled examples are the ones recorded.

A change of layout (moving modules between packages) must not change what any command
prints. A change of behaviour that does change an output re-records it on purpose, with
``python -m tests.outputs.record``, in the same commit as the change.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.outputs import record


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return record.produce()


@pytest.mark.parametrize("name", sorted(json.loads(record.EXPECTED.read_text(encoding="utf-8"))))
def test_output_is_the_recorded_one(outputs: dict[str, str], name: str) -> None:
    """Each command prints, byte for byte, what was recorded (what varies run to run aside)."""
    expected = json.loads(record.EXPECTED.read_text(encoding="utf-8"))[name]
    actual = record.fingerprint(outputs[name])
    if actual != expected:
        folder = Path(tempfile.mkdtemp(prefix="tandem-outputs-"))
        record.write_texts({name: outputs[name]}, folder)
        pytest.fail(f"{name} changed: {actual} against the recorded {expected}; the output is "
                    f"in {folder / name}. Compare it with `python -m tests.outputs.record "
                    f"--text DIR` on the previous commit.")


def test_every_case_is_recorded() -> None:
    """No output is produced without being compared."""
    expected = json.loads(record.EXPECTED.read_text(encoding="utf-8"))
    assert sorted(expected) == sorted(record.cases())
