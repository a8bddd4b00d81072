"""Introduction letters: one per person of each pair, naming the partner and what they share.

In: the pairs of a committed run (ids and the reasons the log kept), the kept profiles
(names and emails), the letters' settings (``letters.yaml`` of the rules folder) and the
template (Jinja2, HTML). Out: `Letter`s, each with its subject, its HTML and its digest, and
the people who get none (no email) with why. Pure: `audit.letters` records, the command
line sends or writes.

What a letter may say is what the template is given: the recipient's and the partner's
names, roles, job families and departments, the partner's email, what the two share in the
rules' own words (the ``because`` texts of the rules that gave the pair points), and the
first steps. Never a score, never a rule that counted against the pair, never protected
data. The template is rendered in Jinja2's sandbox with autoescaping, so a name holding
markup is shown as text; names reach the headers only without line breaks or control
characters, so ``\\r\\nBcc:`` in a name adds no header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from engine.base.canonical import sha256_hex
from engine.base.errors import InvalidInput, Problem
from engine.base.suggest import closest
from engine.rules.ruleset import COMPANION_FILES
from engine.rules.yamlio import Key, LocatedChecker, load

LETTERS_FILE = COMPANION_FILES[1]
DEFAULT_TEMPLATE = "letter.html.j2"
SECTIONS = ("letters", "smtp")
LETTER_KEYS = ("from", "reply_to", "subject", "template", "first_steps")
SMTP_KEYS = ("host", "port", "starttls", "timeout")
MAX_NAME = 200


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    starttls: bool = True
    timeout: float = 30.0


@dataclass(frozen=True)
class LetterSettings:
    sender: str
    subject: str
    template: Path
    first_steps: tuple[str, ...] = ()
    reply_to: str | None = None
    smtp: SmtpSettings = field(default_factory=SmtpSettings)


@dataclass(frozen=True)
class Letter:
    recipient: str  # id
    name: str  # as cleaned for the headers
    email: str
    partner: str  # id
    mentor: str
    mentee: str
    subject: str
    html: str

    @property
    def digest(self) -> str:
        """The letter as the recipient reads it: subject, address and body."""
        return "sha256:" + sha256_hex(f"{self.email}\n{self.subject}\n{self.html}")

    def message(self, settings: LetterSettings, when: datetime | None = None) -> EmailMessage:
        """The letter as an email (RFC 5322), ready to send or to save as .eml."""
        msg = EmailMessage()
        msg["From"] = settings.sender
        msg["To"] = Address(display_name=self.name, addr_spec=self.email)
        if settings.reply_to:
            msg["Reply-To"] = settings.reply_to
        msg["Subject"] = self.subject
        msg["Date"] = format_datetime(when or datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1].strip(" >"))
        msg.set_content(html_to_plain(self.html))
        msg.add_alternative(self.html, subtype="html")
        return msg


@dataclass
class Letters:
    letters: list[Letter] = field(default_factory=list)
    without_email: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    template_digest: str = ""


# -- cleaning what people typed -----------------------------------------------------------------

def header_text(value: object) -> str:
    """Text safe for a mail header: no control, format or line-separator character (each
    becomes a space), spaces collapsed, at most MAX_NAME characters."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                   for ch in str(value))
    return re.sub(r"\s+", " ", text).strip()[:MAX_NAME]


def usable_email(value: object) -> str | None:
    """The address when it is one plain address, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or header_text(text) != text or not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+",
                                                                   text):
        return None
    try:
        Address(addr_spec=text)
    except (ValueError, IndexError):
        return None
    return text


_TAGS = re.compile(r"<[^>]+>")


def html_to_plain(html: str) -> str:
    """A plain-text alternative: the body's text without its tags, one paragraph or list
    item a line, entities decoded."""
    import html as entities

    text = re.sub(r"(?is)<head.*?</head>", "", html)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</h\d>|</ul>|</ol>|<p[^>]*>", "\n", text)
    text = re.sub(r"(?i)<li[^>]*>", "\n- ", text)
    text = entities.unescape(_TAGS.sub("", text))
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


# -- the settings file --------------------------------------------------------------------------

class _Checker(LocatedChecker):
    """The letters' settings' problems, each at the line of its key."""

    def keys(self, raw: Mapping[str, Any], allowed: Sequence[str], path: Key) -> None:
        for key in raw:
            if key not in allowed:
                self.problem((*path, key), f"unknown key {key!r}; expected "
                                           f"{', '.join(allowed)}", closest(key, allowed))

    def text(self, raw: Mapping[str, Any], key: str, path: Key, default: str | None) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value.strip() or header_text(value) != value:
            self.problem((*path, key), f"'{key}' must be one line of text")
            return default or ""
        return value


def load_letter_settings(rules_dir: Path, template: Path | None = None) -> LetterSettings:
    """The letters' settings of a rules folder. Raises InvalidInput listing every problem."""
    path = rules_dir / LETTERS_FILE
    if not path.is_file():
        raise InvalidInput([Problem(str(path), "", "the rules folder has no letters.yaml; copy "
                                                   "the bundled one (`tandem rules path`)")],
                           "letters")
    file = str(path)
    doc = load(path, file)
    check = _Checker(file, doc)
    data = doc.data if isinstance(doc.data, dict) else {}
    check.keys(data, SECTIONS, ())
    letters = data.get("letters")
    if not isinstance(letters, dict):
        check.problem(("letters",), "'letters' must give from, subject and first_steps")
        letters = {}
    check.keys(letters, LETTER_KEYS, ("letters",))
    sender = check.text(letters, "from", ("letters",), None)
    if sender and "@" not in sender:
        check.problem(("letters", "from"), "'from' must hold an address, e.g. 'Tandem "
                                           "<tandem@example.org>'")
    subject = check.text(letters, "subject", ("letters",), "Your reverse-mentoring partner")
    reply_to = letters.get("reply_to")
    if reply_to is not None:
        reply_to = check.text(letters, "reply_to", ("letters",), None)
    steps = letters.get("first_steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
        check.problem(("letters", "first_steps"), "'first_steps' must be a list of sentences")
        steps = []
    name = letters.get("template", DEFAULT_TEMPLATE)
    chosen = template or rules_dir / str(name)
    if not chosen.is_file():
        check.problem(("letters", "template"), f"no template {str(chosen)!r}; give a Jinja2 file "
                                               "in the rules folder")
    smtp_raw = data.get("smtp", {})
    smtp = SmtpSettings()
    if not isinstance(smtp_raw, dict):
        check.problem(("smtp",), "'smtp' must give host, port and starttls")
    else:
        check.keys(smtp_raw, SMTP_KEYS, ("smtp",))
        port = smtp_raw.get("port", 587)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            check.problem(("smtp", "port"), "'port' must be a port number (587 for STARTTLS)")
            port = 587
        starttls = smtp_raw.get("starttls", True)
        if not isinstance(starttls, bool):
            check.problem(("smtp", "starttls"), "'starttls' must be true or false")
            starttls = True
        timeout = smtp_raw.get("timeout", 30)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            check.problem(("smtp", "timeout"), "'timeout' must be a number of seconds")
            timeout = 30
        smtp = SmtpSettings(check.text(smtp_raw, "host", ("smtp",), "localhost"), port,
                            starttls, float(timeout))
    if check.problems:
        raise InvalidInput(check.problems, "letters")
    return LetterSettings(sender, subject, chosen, tuple(steps), reply_to, smtp)


# -- composing ----------------------------------------------------------------------------------

def _template(path: Path) -> tuple[Any, str]:
    from jinja2 import StrictUndefined, TemplateSyntaxError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    text = path.read_text("utf-8")
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    try:
        return env.from_string(text), "sha256:" + sha256_hex(text)
    except TemplateSyntaxError as exc:
        raise InvalidInput([Problem(str(path), f"line {exc.lineno}",
                                    f"not a valid template: {exc.message}")], "letters") from None


def shared_reasons(reasons: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the two share, in the rules' own words: the ``because`` of each rule that gave
    the pair points, in the order the log kept them, each once."""
    out: list[str] = []
    for reason in reasons:
        because = reason.get("because")
        if (reason.get("effect") == "score" and isinstance(reason.get("points"), int | float)
                and reason["points"] > 0 and isinstance(because, str) and because not in out):
            out.append(because)
    return out


def _person(profile: Mapping[str, Any], pid: str) -> dict[str, Any]:
    """What a template may read of a person: never protected data, never a score."""
    return {"id": pid, "name": header_text(profile.get("name") or pid),
            "role": str(profile.get("role", "")), "job_family": str(profile.get("job_family", "")),
            "department": str(profile.get("department", "")),
            "email": usable_email(profile.get("email")) or ""}


def compose_letters(pairs: Sequence[Mapping[str, Any]], profiles: Mapping[str, Mapping[str, Any]],
                    settings: LetterSettings, *, run: str, program: str = "") -> Letters:
    """One letter per person of each pair (``mentor``, ``mentee``, ``reasons``)."""
    from jinja2 import TemplateError

    template, template_digest = _template(settings.template)
    out = Letters(template_digest=template_digest)
    for pair in pairs:
        mentor, mentee = str(pair["mentor"]), str(pair["mentee"])
        shared = shared_reasons(pair.get("reasons") or [])
        for me, other in ((mentor, mentee), (mentee, mentor)):
            recipient = _person(profiles.get(me, {}), me)
            partner = _person(profiles.get(other, {}), other)
            if me not in profiles:
                out.without_email.append((me, "the profile is no longer kept (erased)"))
                continue
            if not recipient["email"]:
                why = ("no email in the profile" if not profiles[me].get("email") else
                       "the email in the profile is not one plain address")
                out.without_email.append((me, why))
                continue
            context = {"recipient": recipient, "partner": partner, "shared": shared,
                       "first_steps": list(settings.first_steps), "run": run,
                       "program": header_text(program)}
            try:
                html = template.render(**context)
            except TemplateError as exc:
                raise InvalidInput([Problem(str(settings.template), "",
                                            f"the template failed: {exc}; it may read "
                                            "recipient, partner, shared, first_steps, run and "
                                            "program")], "letters") from None
            subject = header_text(settings.subject.replace("{partner}", partner["name"]))
            out.letters.append(Letter(me, recipient["name"], recipient["email"], other, mentor,
                                      mentee, subject, html))
    return out
