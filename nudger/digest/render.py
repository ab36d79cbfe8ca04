"""The Jinja environment for every text the user receives: the digest and the drafts. One
concept over 400 lines: the sandboxed, snapshot-loaded template environment.

Templates live in the packaged `templates/` folder; a file of the same name in
`templates/` beside config.toml overrides it. The environment reads both folders into a
snapshot (`SnapshotLoader`), so a long-running daemon renders exactly the templates that
were last checked. Users edit those files, so the environment is
sandboxed (`ImmutableSandboxedEnvironment`), strict (`StrictUndefined`: a misspelt variable
is an error, never an empty string), autoescapes every `.html.j2`, and caps each rendered
output. Any failure is a `ConfigError` whose message starts with `file:line:`; nothing is
ever half-rendered, because callers render every part before they build a message.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from nudger.digest import bounded
from nudger.digest.filters import mailto, wordwrap
from nudger.errors import ConfigError
from nudger.resources import resource_path

# One rendered template may produce at most this many characters. The sandbox bounds what
# a template may touch, not how much it prints (`'x' * 10**8` renders): a runaway loop in
# a user template must fail cleanly instead of filling the memory or the mailbox.
MAX_OUTPUT = 2_000_000
# A template file larger than this is refused before it is read.
MAX_TEMPLATE_BYTES = 1_000_000
SOCIAL_LIMIT = 280  # characters in a post or DM (X's limit; the tightest of the networks)
TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

def draft_body(name: str) -> str:
    return f"drafts/{name}.txt.j2"


def draft_subject(name: str) -> str:
    return f"drafts/{name}.subject.j2"


def _autoescape(name: str | None) -> bool:
    # select_autoescape(["html"]) matches only names ending in ".html" and so misses
    # "digest.html.j2" (docs/pitfalls.md): decide on the full suffix ourselves.
    return name is not None and name.endswith((".html.j2", ".html", ".htm.j2"))


# --- filters and globals the templates may use --------------------------------------------

def safe_url(value: Any) -> str:
    """The URL when it is http(s) or mailto, else "": only those become clickable links
    (a `javascript:` or `data:` URL stays visible as text, never as an href)."""
    text = str(value or "").strip()
    if re.match(r"^(https?://|mailto:)", text, re.IGNORECASE) and not any(
        ch.isspace() or ord(ch) < 32 for ch in text
    ):
        return text
    return ""


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`3 days`, `1 day`."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


TICK_STYLE = ("font-family:Menlo,Consolas,monospace;font-size:0.92em;background:#f0f4f8;"
              "padding:1px 4px;border-radius:4px;")


def ticks(text: object) -> Any:
    """For HTML: a text (a notice, the mailbox line) with its `command` spans shown as
    code instead of literal backticks; everything else escaped."""
    import re

    from markupsafe import Markup, escape

    parts = re.split(r"`([^`\n]+)`", str(text))
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(Markup('<code style="{}">{}</code>').format(TICK_STYLE, part))
        else:
            out.append(escape(part))
    return Markup("").join(out)


def quoted(value: object) -> str:
    """A text in quotes as Python writes a string (`'it'`, `"it's"`): the confirmation
    quotes the subject it answers this way."""
    return repr(str(value))


def ago(days: int | None) -> str:
    if days is None:
        return "never"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def first_name(name: str) -> str:
    parts = str(name or "").split()
    return parts[0] if parts else ""


def fit_social(text: str, limit: int = SOCIAL_LIMIT, keep: str = "") -> str:
    """`text` collapsed to one paragraph of at most `limit` characters (after NFC), cut at a
    word boundary with an ellipsis, never inside a character and its combining marks; `keep`
    (the handle) stays in the result even when the cut would have removed it."""
    text = unicodedata.normalize("NFC", re.sub(r"[ \t]+", " ", text.strip()))
    text = re.sub(r"\s*\n\s*", "\n", text)
    keep = unicodedata.normalize("NFC", keep.strip())
    if len(text) <= limit:
        return text
    prefix = ""
    if keep and keep not in text[: limit - 1]:
        prefix = keep + " "
        text = text.replace(keep, "").strip()
    room = limit - len(prefix) - 1  # one for the ellipsis
    cut = text[:room]
    # Never split a base character from its combining marks.
    while cut and room < len(text) and unicodedata.combining(text[len(cut)]):
        cut = cut[:-1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > room // 2:
        cut = cut[:space]
    return (prefix + cut.rstrip(" ,;:-\n") + "…")[:limit]


class LinkRefs:
    """Numbered references for a plain-text part: `{{ url|ref }}` registers a link and
    prints its marker `[n]` (one number per distinct URL); `{% for r in links.all() %}`
    at the end of the template lists them, `[n] URL`. A long `mailto:` then takes one
    line at the end instead of a screenful in the middle, and still works. Each render
    gets a fresh one as the template variable `links`; anything that wants a short marker
    for a long link (a command button's address, say) uses the same filter."""

    def __init__(self) -> None:
        self._urls: list[str] = []

    def register(self, url: str) -> int:
        if url not in self._urls:
            self._urls.append(url)
        return self._urls.index(url) + 1

    def all(self) -> list[dict[str, Any]]:
        return [{"n": n, "url": url, "marker": f"[{n}]"}
                for n, url in enumerate(self._urls, start=1)]

    def __len__(self) -> int:
        return len(self._urls)


@jinja2.pass_context
def ref(context: jinja2.runtime.Context, url: Any) -> str:
    """`[n]` for `url`, registered in this render's `links` (see LinkRefs)."""
    links = context.get("links")
    if not isinstance(links, LinkRefs):
        raise jinja2.TemplateRuntimeError("the ref filter needs the render's `links`")
    return f"[{links.register(str(url))}]"


# --- the environment ----------------------------------------------------------------------

def packaged_dir() -> Path:
    return resource_path("templates")


class SnapshotLoader(jinja2.BaseLoader):
    """Every `*.j2` file of one folder, read once (none when the folder does not exist).
    A snapshot never changes under a running daemon: an edited file takes effect when a new
    snapshot is checked and installed (`install_templates`, on SIGHUP), so a broken edit
    cannot break the next digest, and what was checked is exactly what renders."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sources: dict[str, tuple[str, str]] = {}
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*.j2")):
            name = path.relative_to(folder).as_posix()
            try:
                text = _read_template(path).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the "
                    "template as UTF-8") from None
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read the template: {exc.strerror}"
                                  ) from None
            self.sources[name] = (text, str(path))

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            text, filename = self.sources[template]
        except KeyError:
            raise jinja2.TemplateNotFound(template) from None
        return text, filename, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.sources)


def _read_template(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_TEMPLATE_BYTES. Opened without blocking
    and checked after opening: a FIFO or a device named `*.j2` never hangs the reader."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a FIFO"
                    if stat.S_ISFIFO(info.st_mode) else "a device or socket")
            raise ConfigError(f"{path}: not a regular file ({kind}); a template is a text "
                              "file: rename or remove it")
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise ConfigError(f"{path}: {info.st_size:,} bytes; a template may have at most "
                              f"{MAX_TEMPLATE_BYTES:,}")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(MAX_TEMPLATE_BYTES + 1)[:MAX_TEMPLATE_BYTES]
    finally:
        os.close(fd)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, refusing the one-expression memory bombs (`'x' * 10**9`,
    `9 ** 9 ** 9`) before they allocate: the output cap only sees what was produced."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (isinstance(seq, str | list | tuple) and isinstance(times, int)
                        and len(seq) * times > MAX_OUTPUT):
                    raise SecurityError(
                        f"repeating a value {times:,} times makes more than "
                        f"{MAX_OUTPUT:,} characters")
        if (operator == "**" and isinstance(left, int) and isinstance(right, int)
                and max(left.bit_length(), 1) * right > 100_000):
            raise SecurityError(f"{left} ** {right} is too large a number")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute`: as the sandbox does it (the attribute, checked, else the item),
        but a plain dict's key that is no attribute of a dict is its item at once. The
        templates' values are dicts (digest.values): each `item.app.company` asked Python
        for an attribute first and caught the AttributeError, hundreds of times a digest."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_DICT_ATTRIBUTES = frozenset(dir(dict))  # what getattr finds on a plain dict


def make_environment(user_dir: Path | None) -> ImmutableSandboxedEnvironment:
    """Overrides first, then the packaged templates, each folder read into a snapshot."""
    folders = ([user_dir] if user_dir is not None else []) + [packaged_dir()]
    env = _Sandbox(
        loader=jinja2.ChoiceLoader([SnapshotLoader(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["mailto"] = mailto
    env.filters["wordwrap"] = wordwrap
    env.filters["safe_url"] = safe_url
    env.filters["first_name"] = first_name
    env.filters["ago"] = ago
    env.filters["ref"] = ref
    env.filters["ticks"] = ticks
    env.filters["quoted"] = quoted
    env.globals["mailto"] = mailto
    env.globals["plural"] = plural
    return env


# The renderer in use per user templates folder: built on first use, replaced only by
# `Renderer.install` (install_templates calls it once a new snapshot passed every check).
_INSTALLED: dict[Path | None, Renderer] = {}
_LOCK = threading.Lock()


@dataclass
class Renderer:
    """Renders named templates from one environment, turning every failure into a
    `ConfigError` that names the template file and line."""

    env: ImmutableSandboxedEnvironment
    # Where each name resolves (the file, or None when there is no such template): asked
    # for every render and every draft, and fixed for a renderer, whose loaders are
    # snapshots (a new snapshot is a new Renderer: `install`).
    _found: dict[str, str | None] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)

    @classmethod
    def for_dir(cls, user_dir: Path | None, *, fresh: bool = False) -> Renderer:
        """The installed snapshot for `user_dir` (built on first use), or with `fresh` a new
        one read from disk now and not installed."""
        if fresh:
            return cls(make_environment(user_dir))
        with _LOCK:
            renderer = _INSTALLED.get(user_dir)
            if renderer is None:
                renderer = _INSTALLED[user_dir] = cls(make_environment(user_dir))
            return renderer

    def install(self, user_dir: Path | None) -> None:
        """Use this snapshot for `user_dir` from now on (after it passed the checks)."""
        with _LOCK:
            _INSTALLED[user_dir] = self

    @functools.cached_property
    def untrusted(self) -> bool:
        """True when the user's folder overrides any template: rendering then happens in
        a child process bounded in time and memory (`nudger.digest.bounded`). The shipped
        templates alone render in this process. Known once per renderer: its loaders are
        snapshots that never change (each render asked the file system again)."""
        loader = self.env.loader
        if not isinstance(loader, jinja2.ChoiceLoader):
            return True
        packaged = packaged_dir()
        return any(isinstance(inner, SnapshotLoader) and inner.sources
                   and inner.folder != packaged for inner in loader.loaders)

    def user_dir(self) -> str:
        loader = self.env.loader
        if isinstance(loader, jinja2.ChoiceLoader) and loader.loaders:
            first = loader.loaders[0]
            if isinstance(first, SnapshotLoader):
                return str(first.folder)
        return "the templates"

    def bounded(self, fn: Callable[[], Any], what: str | None = None) -> Any:
        """`fn()` (which renders with this renderer): in a bounded child process when the
        user overrides templates, here otherwise."""
        if not self.untrusted or bounded.in_child():
            return fn()
        return bounded.run(fn, what or self.user_dir())

    def exists(self, name: str) -> bool:
        """Whether a template of that name exists (without compiling it: compiling a
        user's template evaluates its constant expressions, which only a bounded child
        may do)."""
        return self._file(name) is not None

    def where(self, name: str) -> str:
        """The file a template name resolves to (the override when there is one)."""
        return self._file(name) or name

    def _file(self, name: str) -> str | None:
        try:
            return self._found[name]
        except KeyError:
            pass
        try:
            assert self.env.loader is not None
            _source, filename, _uptodate = self.env.loader.get_source(self.env, name)
            found: str | None = filename or name
        except (jinja2.TemplateNotFound, AssertionError):
            found = None
        self._found[name] = found
        return found

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        if self.untrusted and not bounded.in_child():
            text: str = self.bounded(lambda: self.render(name, context), self.where(name))
            return text
        bounded.progress(self.where(name))
        try:
            template = self.env.get_template(name)
            # A fresh list of numbered references for each render (the `ref` filter).
            values = {**context, "links": LinkRefs()}
            return _capped(template.generate(**values), self.where(name))
        except ConfigError:
            raise
        except jinja2.TemplateNotFound as exc:
            missing = exc.name if exc.name != name else name
            raise ConfigError(
                f"{self.where(name)}: template {missing!r} not found in "
                f"{', '.join(self.search_path())}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(syntax_message(exc, self.where(name))) from None
        except (jinja2.TemplateError, SecurityError, TypeError, ValueError, ArithmeticError,
                LookupError, AttributeError, RecursionError) as exc:
            raise ConfigError(_runtime_message(exc, self.where(name))) from None

    def search_path(self) -> list[str]:
        loader = self.env.loader
        if not isinstance(loader, jinja2.ChoiceLoader):
            return []
        return [str(inner.folder) for inner in loader.loaders
                if isinstance(inner, SnapshotLoader)]


class OutputTooLong(ConfigError):
    """A render reached MAX_OUTPUT: the template runs away, or the data is too much for
    it (the digest then renders again with less in full: nudger.digest.compose)."""


def _capped(chunks: Iterator[str], where: str) -> str:
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise OutputTooLong(
                f"{where}: output is longer than {MAX_OUTPUT:,} characters; a loop or a "
                "repeated string in the template runs away"
            )
        out.append(chunk)
    return "".join(out)


def syntax_message(exc: jinja2.TemplateSyntaxError, fallback: str) -> str:
    filename = exc.filename or fallback
    line = f":{exc.lineno}" if exc.lineno else ""
    return f"{filename}{line}: {exc.message or 'syntax error'}"


def _runtime_message(exc: BaseException, fallback: str) -> str:
    """`file:line: message` for an error raised while rendering: Jinja rewrites the
    traceback so that template frames carry the template's file name and line."""
    filename, line = fallback, None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(".j2") or code.co_filename == fallback:
            filename, line = code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    text = str(exc) or type(exc).__name__
    if isinstance(exc, jinja2.UndefinedError):
        text = f"undefined variable: {text}"
    elif isinstance(exc, SecurityError):
        text = f"not allowed in a template: {text}"
    elif not isinstance(exc, jinja2.TemplateError):
        text = f"{type(exc).__name__}: {text}"
    return f"{filename}{f':{line}' if line else ''}: {text}"
