"""The length of every string a cell shows, counted in the streamed chunks of one XML part.

Excel caps a cell at 32,767 characters, and the guard promises the same bound for every
cell calamine will build: the shared-strings part (one string per ``<si>``), and in a
sheet the inline strings (``<is>``) and cell values (``<v>``, the text of formula cells).
A string is what calamine makes of it: the text of every ``<t>`` of an item joined
(rich-text runs ``<r><t>…</t></r>``) except phonetic runs (``<rPh>``), with entities
(``&amp;``, ``&#x4E00;``) one character each and CDATA counted as text; a ``<v>`` is all
the text up to its ``</v>``. Tags compare by local name, as quick-xml does.

Two ways through a piece (a chunk plus the undecided tail of the one before, starting
where no string is open):

* fast, C-level: when the piece is plain XML (no comments, CDATA, processing
  instructions, tags holding ``<`` or quoted ``>``, markup inside a ``<t>`` / ``<v>``), an
  item holds no more characters than it has bytes. Items spelt ``<si>…</si>`` (as every
  spreadsheet writes them) are measured with no per-item work, looking for end tags in
  windows of half the limit; other spellings (prefixes, attributes) are split by regex
  and must open and close in turn. Only an item longer than the limit in bytes is counted,
  exactly, by regex; one still open at the end of the piece waits, from its start tag, for
  the next piece. A <v> is bounded by one regex search for a text that long.
* exact, tag by tag: anything else — odd markup, or an item longer than the limit that
  is still open — goes through a small tokenizer that follows calamine's reading
  (``_Exact``), until a piece ends outside any string again.

Nothing is held beyond one piece: an open item is carried only while it is shorter than
the limit, the exact walk carries at most an unfinished tag or entity.
"""
from __future__ import annotations

import re

from perfcore.guard.limits import Limits
from perfcore.guard.messages import refuse

_P = rb"(?:[^\s<>/]*:)?"  # any namespace prefix: quick-xml compares local names
_CONTINUATION = bytes(range(0x80, 0xC0))
_ENTITY = re.compile(rb"&(?:#[0-9]{1,10}|#x[0-9A-Fa-f]{1,8}|[A-Za-z_][\w.-]{0,31});")
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml\b[^<>]*\?>")
# Anything a byte regex could misread as structure: comments, CDATA, processing
# instructions and declarations; a tag still open at the next '<'; a quoted attribute value
# holding ``<`` or ``>``; a <t> or <v> whose text is followed by anything but its own end tag
# (nested markup). An unfinished tag at the very end is not odd: the next piece sees it whole.
# (Tag patterns stop at '<' as well as '>', so no search rescans a long stretch.)
_OPEN_TAG = rb"<[^<>\"']*+(?:(?:\"[^\"<>]*+\"|'[^'<>]*+')[^<>\"']*+)*+(?:<|\"[^\"<>]*+[<>]|'[^'<>]*+[<>])"
_NESTED = rb"(?:\s[^<>]*)?(?<!/)>[^<]*+(?!</\1\s*>|<[^<>]*\Z|\Z)"
_ODD = re.compile(rb"<!|<\?|" + _OPEN_TAG + rb"|<(" + _P + rb"(?:t|v))" + _NESTED)
_ODD_PLAIN = re.compile(rb"<!|<\?|" + _OPEN_TAG + rb"|<([tv])" + _NESTED)  # no prefixed <t> / <v>: 2x faster
_PREFIXED_TEXT = re.compile(rb":[tv][\s>/]")  # (separate regexes with a literal first byte scan fastest)
_T_TEXT = re.compile(rb"<" + _P + rb"t(?:\s[^<>]*)?(?<!/)>([^<]*)")
_PHONETIC = re.compile(rb"<" + _P + rb"rPh(?:\s[^<>]*)?(?<!/)>.*?(?:</" + _P + rb"rPh\s*>|\Z)", re.S)
_V_START = re.compile(rb"<" + _P + rb"v(?:\s[^<>]*)?(?<!/)>")
_LAST_CELL = re.compile(rb"(?s:.*)<" + _P + rb"c\s([^<>]*)>")
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3}[0-9]{1,7})["']""")
# One token of the exact walk: specials (their end is searched for), a tag (quote-aware, as
# quick-xml reads it), text, or a '<' that starts none of these.
_TOKEN = re.compile(
    rb"(<!\[CDATA\[|<!--|<\?|<!)"
    rb"|<(/?)([^\s/>\"'<]+)((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>"
    rb"|([^<]+)"
    rb"|<"
)
_UNFINISHED = re.compile(rb"</?(?:[^\s/>\"'<]+(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+(?:\"[^\"]*+|'[^']*+)?)?\Z")
_SPECIAL_END = {b"<![CDATA[": b"]]>", b"<!--": b"-->", b"<?": b"?>", b"<!": b">"}
_OPENERS = (b"<![CDATA[", b"<!--")


def chars(text: bytes, entities: bool = True) -> int:
    """Characters of XML text as a parser returns them: a UTF-8 sequence or an entity is one
    (``entities=False``: CDATA, where ``&amp;`` is five)."""
    if entities and b"&" in text:
        text = _ENTITY.sub(b"&", text)
    return len(text.translate(None, _CONTINUATION))


class Strings:
    """Streaming check that no string of one part is longer than ``limits.max_cell_chars``.

    ``item`` is the element of one string (``b"si"`` in the shared-strings part, ``b"is"``
    in a sheet); ``values`` also counts ``<v>`` (sheets). ``where`` names the part in the
    message; ``sheet`` is the sheet's name, and the refused cell is named when known.
    """

    def __init__(self, item: bytes, values: bool, limits: Limits, file: str, where: str, sheet: str = "") -> None:
        self.limit, self.limits, self.file, self.where, self.sheet = limits.max_cell_chars, limits, file, where, sheet
        self.item, self.values = item, values
        self.boundary = re.compile(rb"<(/?)(" + _P + item + rb")(?:\s[^<>]*?)?(/?)>")
        self.start_tag, self.end_tag = b"<" + item + b">", b"</" + item + b">"
        # item tags other than the literal <si> / </si>: with attributes or spaces, self-closing; prefixed
        self.spaced_form = re.compile(rb"</?" + item + rb"[\s/]")
        self.prefixed_form = re.compile(rb":" + item + rb"[\s>/]")
        self.value_long = re.compile(rb"<" + _P + rb"v(?:\s[^<>]*)?(?<!/)>([^<]{%d,})" % (self.limit + 1))
        self.value_long_plain = re.compile(rb"<v(?:\s[^<>]*)?(?<!/)>([^<]{%d,})" % (self.limit + 1))
        self.carry = b""
        self.cell = ""  # the cell whose string starts the carry (sheets)
        self.first = True
        self.exact: _Exact | None = None

    def feed(self, chunk: bytes) -> None:
        self._piece(self.carry + chunk, final=False)

    def finish(self) -> None:
        self._piece(self.carry, final=True)
        self.carry = b""

    def _piece(self, piece: bytes, final: bool) -> None:
        start = 0
        if self.first:
            self.first = False
            declaration = _DECLARATION.match(piece)
            start = declaration.end() if declaration else 0
        if self.exact is None and not self._fast(piece, start, final):
            self.exact = _Exact(self)
        if self.exact is not None:
            self.carry = self.exact.walk(piece, start, final)
            if self.exact.clean:
                self.cell, self.exact = self.exact.cell, None

    def _fast(self, piece: bytes, start: int, final: bool) -> bool:
        """Check a plain piece with regexes; False when it needs the exact walk (nothing is changed then)."""
        prefixed = _PREFIXED_TEXT.search(piece) is not None
        if (_ODD if prefixed else _ODD_PLAIN).search(piece, start):
            return False
        cut = len(piece) if final else piece.rfind(b"<")
        if cut < 0:  # text outside any string (an open one is carried from its '<')
            self.carry = b""
            return True
        if self.values and not final:  # a <v> cut in two waits whole for the next piece
            before = piece.rfind(b"<", 0, cut)
            if before >= 0 and _V_START.match(piece, before):
                cut = before
        seg = piece[:cut]
        if self.values:
            self._check_values(seg, prefixed)
        begin = self._literal_items(seg) if self.item in seg else len(seg)  # "is" is rare outside <is>
        if begin is not None:  # every item the literal <si>…</si>, none closed here longer than the limit
            if begin == len(seg):
                self._carry_cell(piece, cut)
                self.carry = piece[cut:]
                return True
            if final:  # never closed, and not longer than the limit in bytes
                return True
            if len(piece) - begin > self.limit:
                return False
            self._carry_cell(piece, begin)
            self.carry = piece[begin:]
            return True
        parts = self.boundary.split(seg)
        slashes, names, empty = parts[1::4], parts[2::4], parts[3::4]
        if not slashes:
            self._carry_cell(piece, cut)
            self.carry = piece[cut:]
            return True
        if (set(slashes[0::2]) != {b""} or set(slashes[1::2]) - {b"/"} or any(empty)
                or names[0::2][: len(names[1::2])] != names[1::2]):
            return False  # items nested, unclosed, self-closing or closed by another name
        bodies = parts[4::8]  # the text after each start tag: one item's body
        open_body = bodies.pop() if len(slashes) % 2 else None
        if bodies and max(map(len, bodies)) > self.limit:
            for index, body in enumerate(bodies):
                if len(body) > self.limit and self._count(body) > self.limit:
                    self._refuse(seg, 2 * index)
        if open_body is None:
            self._carry_cell(piece, cut)
            self.carry = piece[cut:]
            return True
        begin = seg.rfind(b"<", 0, len(seg) - len(open_body))
        if final:
            if self._count(open_body) > self.limit:
                self._refuse(seg, len(slashes) - 1)
            return True
        if len(piece) - begin > self.limit:  # a long item still open: counted exactly from its start
            return False
        self._carry_cell(piece, begin)
        self.carry = piece[begin:]
        return True

    def _carry_cell(self, piece: bytes, begin: int) -> None:
        if self.values:
            self.cell = self._cell(piece, begin)

    def _cell(self, buf: bytes, at: int) -> str:
        """The cell holding the string that starts at ``at``: the last cell tag before it in this
        piece, else the last one of the pieces before."""
        return _cell_before(buf, at) or self.cell

    def _literal_items(self, seg: bytes) -> int | None:
        """Where the item still open at the end of ``seg`` starts (``len(seg)``: none), when every item
        tag is the literal <si> / </si> and no item closed in ``seg`` is longer than the limit in bytes;
        None when that does not hold (the items are then measured one by one).

        No per-item work: ``seg`` is looked at in windows of half the limit; an item starts at the
        first <si> after an end tag (calamine ignores a nested start) and ends at the next </si>,
        and only the item open across a window boundary is followed.
        """
        if self.spaced_form.search(seg) or self.prefixed_form.search(seg):
            return None
        start_tag, end_tag, limit = self.start_tag, self.end_tag, self.limit
        size, window = len(seg), max(1, limit // 2)
        opened, lo = -1, 0
        while lo < size:
            hi = min(size, lo + window)
            scan = lo
            if opened >= 0:  # the first end tag starting in the window closes it
                end = seg.find(end_tag, lo, hi + len(end_tag) - 1)
                if end < 0:
                    if hi - opened > limit:
                        return None
                    lo = hi
                    continue
                if end - opened > limit:
                    return None
                opened, scan = -1, end
            last = seg.rfind(end_tag, scan, hi + len(end_tag) - 1)
            opened = seg.find(start_tag, last if last >= 0 else scan, hi + len(start_tag) - 1)
            lo = hi
        return opened if opened >= 0 else size

    def _count(self, body: bytes) -> int:
        """Characters of one plain item: its <t> texts outside phonetic runs."""
        if b"rPh" in body:
            body = _PHONETIC.sub(b"", body)
        return chars(b"".join(_T_TEXT.findall(body)))

    def _check_values(self, seg: bytes, prefixed: bool) -> None:
        for value in (self.value_long if prefixed else self.value_long_plain).finditer(seg):
            if chars(value[1]) > self.limit:
                raise self.error(self._cell(seg, value.start()))

    def _refuse(self, seg: bytes, boundary: int) -> None:
        at = next(m.start() for i, m in enumerate(self.boundary.finditer(seg)) if i == boundary)
        raise self.error(self._cell(seg, at) if self.values else "")

    def error(self, cell: str = ""):
        return refuse("cell_too_long", self.file, self.sheet, cell, limit=self.limit, where=self.where)


def _cell_before(buf: bytes, at: int) -> str:
    """The reference of the cell whose start tag is the last one before ``at``."""
    cell = _LAST_CELL.match(buf, 0, at)
    ref = _REF.search(b" " + cell[1]) if cell else None
    return ref[1].decode() if ref else ""


class _Exact:
    """Tag-by-tag reading of strings as calamine reads them, for pieces the regexes cannot vouch for.

    An item starts at a start tag named ``item`` outside any string and ends at the end tag
    with the same qualified name outside a <t>; inside it, the text of each <t> (up to the
    <t>'s own end tag, whatever it contains) counts unless a phonetic run is open. A <v>
    counts all its text. Comments and processing instructions count nothing; CDATA counts
    where text does.
    """

    def __init__(self, owner: Strings) -> None:
        self.owner = owner
        self.unit: bytes | None = None   # qualified name that ends the open string
        self.value = False               # the open string is a <v>
        self.text: bytes | None = None   # qualified name of the open <t>
        self.phonetic = False
        self.count = 0
        self.special: bytes | None = None  # end marker of an open comment / CDATA / instruction
        self.in_cdata = False
        self.cell = owner.cell

    @property
    def clean(self) -> bool:
        return self.unit is None and self.special is None

    def _add(self, text: bytes, entities: bool = True) -> None:
        if self.unit is not None and (self.value or self.text is not None):
            self.count += chars(text, entities)
            if self.count > self.owner.limit:
                raise self.owner.error(self.cell if self.owner.values else "")

    def walk(self, piece: bytes, pos: int, final: bool) -> bytes:
        """Read ``piece`` from ``pos``; return the unfinished tail to put before the next chunk."""
        size = len(piece)
        if self.special is not None:
            pos = self._special(piece, pos, final)
            if self.special is not None:
                return piece[pos:]
        while pos < size:
            for m in _TOKEN.finditer(piece, pos):  # restarted only after a special
                kind = m.lastindex
                if kind == 5:  # text: counted inside a <t> or <v> of an open string
                    if self.unit is not None and (self.value or self.text is not None):
                        text = m[5]
                        if not final and m.end() == size:  # an entity cut in two waits for the rest
                            amp = text.rfind(b"&")
                            if amp >= 0 and b";" not in text[amp:] and len(text) - amp <= 40:
                                self._add(text[:amp])
                                return piece[m.start() + amp:]
                        self._add(text)
                elif kind == 4:  # a tag
                    self._tag(m[2] == b"/", m[3], m[4])
                elif kind == 1:  # comment, CDATA, processing instruction, declaration
                    at = m.start()
                    if not final and size - at < 9 and any(o.startswith(piece[at:]) for o in _OPENERS):
                        return piece[at:]  # "<![CD" may yet be CDATA
                    self.special, self.in_cdata = _SPECIAL_END[m[1]], m[1] == b"<![CDATA["
                    pos = self._special(piece, m.end(), final)
                    if self.special is not None:
                        return piece[pos:]
                    break
                else:  # a '<' that starts no tag: a tag still unfinished at the end, or stray text
                    at = m.start()
                    if not final and _UNFINISHED.match(piece, at):
                        if size - at > 4 * self.owner.limit:  # a tag of 131 KB: not from any spreadsheet
                            raise self.owner.error(self.cell if self.owner.values else "")
                        return piece[at:]
                    self._add(b"<")
            else:
                pos = size
        return b""

    def _special(self, piece: bytes, pos: int, final: bool) -> int:
        """Skip past the end of the open special, counting CDATA; when it runs past the piece, the
        position up to which it was read (the last bytes wait: they may be half its end marker)."""
        marker = self.special
        assert marker is not None  # only called while a special is open
        end = piece.find(marker, pos)
        stop = end if end >= 0 else len(piece) if final else max(pos, len(piece) - len(marker) + 1)
        if self.in_cdata:
            self._add(piece[pos:stop], entities=False)
        if end < 0:
            return stop
        self.special, self.in_cdata = None, False
        return end + len(marker)

    def _tag(self, closing: bool, name: bytes, rest: bytes) -> None:
        empty = rest.endswith(b"/")
        local = name.rpartition(b":")[2]
        if self.unit is None:
            if closing or empty:
                return
            if local == self.owner.item:
                self.unit, self.value, self.text, self.phonetic, self.count = name, False, None, False, 0
            elif local == b"v" and self.owner.values:
                self.unit, self.value, self.count = name, True, 0
            elif local == b"c" and self.owner.values:
                ref = _REF.search(b" " + rest)
                self.cell = ref[1].decode() if ref else ""
        elif self.value:
            if closing and name == self.unit:
                self.unit = None
        elif self.text is not None:
            if closing and name == self.text:
                self.text = None
        elif closing and name == self.unit:
            self.unit = None
        elif local == b"rPh":
            self.phonetic = not closing and not empty
        elif local == b"t" and not closing and not empty and not self.phonetic:
            self.text = name
