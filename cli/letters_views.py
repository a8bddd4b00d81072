"""What `tandem letters` prints and writes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.render import console, print_json, safe

if TYPE_CHECKING:
    from audit.letters import RunPairs, SendReceipt
    from engine.program.letters import Letters, LetterSettings


def write_eml(batch: Letters, settings: LetterSettings, folder: Path, run: str) -> list[Path]:
    """One RUN-ID.eml per letter in ``folder`` (created if missing), each written whole."""
    from cli.outfile import OutputError, write_bytes

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder} ({exc.strerror}); choose "
                          "another --out") from None
    paths = []
    for letter in batch.letters:
        path = folder / f"{run}-{letter.recipient}-{letter.partner}.eml"
        write_bytes(path, bytes(letter.message(settings)))
        paths.append(path)
    return paths


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def show_letters(found: RunPairs, batch: Letters, written: list[Path],
                 receipt: SendReceipt | None, fmt: str) -> None:
    if fmt == "json":
        report: dict[str, Any] = {
            "run": found.run, "pairs": len(found.pairs),
            "letters": [{"recipient": x.recipient, "partner": x.partner,
                         "letter_digest": x.digest} for x in batch.letters],
            "template_digest": batch.template_digest,
            "without_email": [{"id": pid, "why": why} for pid, why in batch.without_email],
            "ended_pairs": [list(p) for p in found.ended],
            "written": [str(p) for p in written],
            "sent": receipt.sent if receipt else [], "already_sent": receipt.already
            if receipt else []}
        print_json(report)
        return
    out = console()
    out.print(safe(f"Run {found.run}: {_plural(len(found.pairs), 'active pair')}, "
                   f"{_plural(len(batch.letters), 'letter')}."), markup=False)
    for pid, why in batch.without_email:
        out.print(safe(f"  {pid}: no letter: {why}; tell them by another way."), markup=False)
    for mentor, mentee in found.ended:
        out.print(safe(f"  {mentor} and {mentee}: no letters: the pair was separated."),
                  markup=False)
    if written:
        out.print(safe(f"Wrote {_plural(len(written), 'letter')} to {written[0].parent}/."),
                  markup=False)
    if receipt is not None:
        out.print(safe(f"Sent {_plural(len(receipt.sent), 'letter')}"
                       + (f", recorded in {receipt.db} as entries {receipt.first_seq} to "
                          f"{receipt.last_seq}; new head {receipt.head}" if receipt.sent else "")
                       + "."), markup=False)
        if receipt.already:
            out.print(safe(f"{_plural(len(receipt.already), 'letter')} already sent before, "
                           "not sent again."), markup=False)
    if not written and receipt is None:
        out.print("Nothing was written or sent: add --out DIR to write the letters, or --send "
                  "to send them.", markup=False)
