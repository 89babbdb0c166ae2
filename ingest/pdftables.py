"""Tables in a PDF page, found from the page's own drawing: pypdf gives text only, so the rows
and columns come from the ruling lines the table is drawn with (cell rectangles "re" or
line segments "m … l") and from where each piece of text sits.

The ruling is reduced to horizontal and vertical edges (collinear pieces merged, so a row of
cell boxes makes one line); a table is a stack of at least three horizontal lines with the
same left and right ends, cut by at least three vertical lines, i.e. two rows and two
columns or more. Each text piece goes to the grid cell holding its baseline start. In the
page's text the table's pieces are then replaced by markdown rows ("| STT | Nhiệm vụ | … |"),
the form every other reader gives tables in. A table without ruling stays running text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

_TOL = 2.0  # points: edges this close are one edge


@dataclass
class _Piece:
    text: str
    x: float
    y: float
    size: float = 10.0  # font size on the page, for the width the piece takes
    start: int = -1  # offset of the piece in the page's extracted text
    end: int = -1

    @property
    def right(self) -> float:  # a generous guess of where the piece ends (no font metrics)
        return self.x + 0.6 * self.size * len(self.text)


@dataclass
class _Grid:
    xs: list[float]  # column boundaries, left to right
    ys: list[float]  # row boundaries, top to bottom (descending PDF y)
    cells: dict[tuple[int, int], list[_Piece]] = field(default_factory=dict)

    def cell_of(self, x: float, y: float) -> tuple[int, int] | None:
        if not (self.xs[0] - _TOL <= x <= self.xs[-1] + _TOL and self.ys[-1] - _TOL <= y <= self.ys[0] + _TOL):
            return None
        col = next((j for j in range(len(self.xs) - 1) if x < self.xs[j + 1] - 0.5), len(self.xs) - 2)
        row = next((i for i in range(len(self.ys) - 1) if y > self.ys[i + 1] + 0.5), len(self.ys) - 2)
        return row, col


def _apply(cm, x: float, y: float) -> tuple[float, float]:
    return x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]


def _merge(edges: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """(position, from, to) edges on the same line that touch or overlap become one."""
    out: list[list[float]] = []
    for pos, a, b in sorted(edges):
        if out and abs(out[-1][0] - pos) <= _TOL and a <= out[-1][2] + _TOL:
            out[-1][2] = max(out[-1][2], b)
        else:
            out.append([pos, a, b])
    return [(p, a, b) for p, a, b in out]


def _grids(hor: list[tuple[float, float, float]], ver: list[tuple[float, float, float]]) -> list[_Grid]:
    hor = _merge([(round(y, 1), min(a, b), max(a, b)) for y, a, b in hor if abs(b - a) > 5])
    ver = _merge([(round(x, 1), min(a, b), max(a, b)) for x, a, b in ver if abs(b - a) > 3])
    groups: dict[tuple[float, float], list[float]] = {}
    for y, a, b in hor:
        key = next((k for k in groups if abs(k[0] - a) <= 3 and abs(k[1] - b) <= 3), (a, b))
        groups.setdefault(key, []).append(y)
    grids = []
    for (a, b), ys in groups.items():
        ys = sorted(set(ys), reverse=True)
        if len(ys) < 3:
            continue
        xs = sorted({x for x, y0, y1 in ver if a - 3 <= x <= b + 3 and y0 <= ys[0] + 3 and y1 >= ys[-1] - 3
                     and y1 - y0 >= min(ys[i] - ys[i + 1] for i in range(len(ys) - 1)) - 3})
        xs = [x for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 3]
        if len(xs) >= 3:
            grids.append(_Grid(xs, ys))
    return grids


def page_text(page) -> str:
    """The page's text (pypdf's extraction) with each ruled table as markdown rows."""
    pieces: list[_Piece] = []
    hor: list[tuple[float, float, float]] = []
    ver: list[tuple[float, float, float]] = []
    point: list[tuple[float, float] | None] = [None]

    def on_text(text, cm, tm, font, size):
        if text.strip():
            pieces.append(_Piece(text, *_apply(cm, tm[4], tm[5]), abs(size * tm[0] * cm[0]) or 10.0))

    def on_op(op, args, cm, tm):
        try:
            if op == b"re":
                x, y, w, h = (float(v) for v in args[:4])
                (x0, y0), (x1, y1) = _apply(cm, x, y), _apply(cm, x + w, y + h)
                hor.extend([(y0, x0, x1), (y1, x0, x1)])
                ver.extend([(x0, y0, y1), (x1, y0, y1)])
            elif op == b"m":
                point[0] = _apply(cm, float(args[0]), float(args[1]))
            elif op == b"l" and point[0] is not None:
                (x0, y0), (x1, y1) = point[0], _apply(cm, float(args[0]), float(args[1]))
                if abs(y1 - y0) <= 0.5:
                    hor.append((y0, min(x0, x1), max(x0, x1)))
                elif abs(x1 - x0) <= 0.5:
                    ver.append((x0, min(y0, y1), max(y0, y1)))
                point[0] = (x1, y1)
        except (TypeError, ValueError, IndexError):
            pass  # an operator with unexpected operands draws no table edge

    text = page.extract_text(visitor_text=on_text, visitor_operand_before=on_op) or ""
    pos = 0
    for p in pieces:  # the pieces come in the order the text was written
        at = text.find(p.text, pos)
        if at >= 0:
            p.start, p.end = at, at + len(p.text)
            pos = p.end
    pieces = [p for p in pieces if p.start >= 0]
    spans: list[tuple[int, int, str]] = []
    for grid in _grids(hor, ver):
        inside = [p for p in pieces if p.start >= 0 and (cell := grid.cell_of(p.x + 0.5, p.y + 1)) is not None
                  and grid.cells.setdefault(cell, []).append(p) is None]
        if not inside:
            continue
        spans.append((min(p.start for p in inside), max(p.end for p in inside), _markdown(grid)))
    taken = [(a, b) for a, b, _ in spans]
    spans += _column_blocks(text, [p for p in pieces if not any(a <= p.start < b for a, b in taken)])
    for start, end, rows in sorted(spans, reverse=True):
        text = text[:start].rstrip(" ") + "\n" + rows + "\n" + text[end:].lstrip(" ")
    return text


def _column_blocks(text: str, pieces: list[_Piece]) -> list[tuple[int, int, str]]:
    """Two columns side by side without ruling (the header block "ỦY BAN NHÂN DÂN … CỘNG HÒA
    …", the "Nơi nhận: … | TM. ỦY BAN NHÂN DÂN" signature) come out of pypdf line by line,
    the columns mixed. Each such block is rewritten as its left column's lines, then its right
    column's. A block is the run of lines around a line with a wide gap, as long as the line
    spacing stays that of the block (a paragraph gap ends it)."""
    lines: list[list[_Piece]] = []
    for p in pieces:
        if lines and abs(lines[-1][-1].y - p.y) <= 1.0:
            lines[-1].append(p)
        else:
            lines.append([p])
    cut_at = {}
    for i, ln in enumerate(lines):
        for k in range(1, len(ln)):
            if ln[k].x - ln[k - 1].right > 30:
                cut_at[i] = k
                break
    out = []
    done = -1
    for i in sorted(cut_at):
        if i <= done:
            continue
        right_x = min(lines[j][cut_at[j]].x for j in cut_at)
        step = min((d for j in range(len(lines) - 1) if (j in cut_at or j + 1 in cut_at)
                    and (d := lines[j][0].y - lines[j + 1][0].y) > 0), default=14)
        def fits(j: int) -> bool:  # a line of one column only: not text across the page width
            ln = lines[j]
            return j in cut_at or ln[-1].right < right_x or ln[0].x >= right_x - 5

        a = i
        while a > 0 and 0 < lines[a - 1][0].y - lines[a][0].y <= 1.4 * step and a - 1 > done and fits(a - 1):
            a -= 1
        b = i
        while b + 1 < len(lines) and 0 < lines[b][0].y - lines[b + 1][0].y <= 1.4 * step and fits(b + 1):
            b += 1
        left, right = [], []
        for j in range(a, b + 1):
            ln = lines[j]
            k = cut_at.get(j, 0 if ln[0].x >= right_x - 5 else len(ln))
            if ln[:k]:
                left.append(text[ln[0].start:ln[k - 1].end].strip())
            if ln[k:]:
                right.append(text[ln[k].start:ln[-1].end].strip())
        out.append((lines[a][0].start, lines[b][-1].end, "\n".join(left + right)))
        done = b
    return out


def _markdown(grid: _Grid) -> str:
    rows = []
    for i in range(len(grid.ys) - 1):
        cells = []
        for j in range(len(grid.xs) - 1):
            ps = sorted(grid.cells.get((i, j), []), key=lambda p: (-round(p.y), p.x))
            cells.append(" ".join(" ".join(p.text for p in ps).split()).replace("|", "/"))
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return ""
    return "\n".join([rows[0], "|" + "---|" * (len(grid.xs) - 1)] + rows[1:])
