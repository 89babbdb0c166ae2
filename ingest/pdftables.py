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
    start: int = -1  # offset of the piece in the page's extracted text
    end: int = -1


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
            pieces.append(_Piece(text, *_apply(cm, tm[4], tm[5])))

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
    grids = _grids(hor, ver)
    if not grids or not pieces:
        return text
    pos = 0
    for p in pieces:  # the pieces come in the order the text was written
        at = text.find(p.text, pos)
        if at >= 0:
            p.start, p.end = at, at + len(p.text)
            pos = p.end
    spans: list[tuple[int, int, str]] = []
    for grid in grids:
        inside = [p for p in pieces if p.start >= 0 and (cell := grid.cell_of(p.x + 0.5, p.y + 1)) is not None
                  and grid.cells.setdefault(cell, []).append(p) is None]
        if not inside:
            continue
        spans.append((min(p.start for p in inside), max(p.end for p in inside), _markdown(grid)))
    for start, end, rows in sorted(spans, reverse=True):
        text = text[:start].rstrip(" ") + "\n" + rows + "\n" + text[end:].lstrip(" ")
    return text


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
