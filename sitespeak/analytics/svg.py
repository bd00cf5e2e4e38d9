"""Small server-side SVG charts (no JavaScript, CSP-safe: presentation attributes only)."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T = 420, 200, 56, 30, 22
COLORS = ("#2457d6", "#9db6f2", "#17803d", "#8fd3a7", "#a15c00", "#b42318")


def _scale(top: float) -> float:
    return (HEIGHT - PAD_B - PAD_T) / top if top > 0 else 0.0


def _frame(title: str, top: float, unit: str) -> list[str]:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for fraction in (0, 0.5, 1):
        y = HEIGHT - PAD_B - fraction * (HEIGHT - PAD_B - PAD_T)
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde1e8"/>'
        )
        parts.append(
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_tick(top * fraction, unit))}</text>"
        )
    return parts


def bar_chart(points: list[tuple[str, float]], title: str, unit: str = "") -> str:
    if not points:
        return _empty(title)
    top = max(v for _, v in points) or 1
    parts, scale = _frame(title, top, unit), _scale(top)
    step = (WIDTH - PAD_L) / len(points)
    for i, (label, value) in enumerate(points):
        h = value * scale
        x = PAD_L + i * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - PAD_B - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{COLORS[0]}"><title>{escape(label)}: '
            f"{value:g}{escape(unit)}</title></rect>"
        )
        if len(points) <= 16 or i % max(1, len(points) // 8) == 0:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - PAD_B + 14}" '
                f'text-anchor="middle">{escape(label[5:] if len(label) == 10 else label)}'
                "</text>"
            )
    return "".join(parts) + "</svg>"


def line_chart(
    labels: list[str], series: dict[str, list[float | None]], title: str, unit: str = ""
) -> str:
    values = [v for line in series.values() for v in line if v is not None]
    if not labels or not values:
        return _empty(title)
    top = max(values) or 1
    parts, scale = _frame(title, top, unit), _scale(top)
    step = (WIDTH - PAD_L) / max(len(labels) - 1, 1)
    for n, (name, line) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        coords = [
            (PAD_L + i * step, HEIGHT - PAD_B - v * scale)
            for i, v in enumerate(line)
            if v is not None
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in coords)
        parts.append(
            f'<text x="{PAD_L + 8 + n * 60}" y="{PAD_T - 6}" fill="{color}">{escape(name)}</text>'
        )
    for i, label in enumerate(labels):
        if len(labels) <= 10 or i % max(1, len(labels) // 8) == 0:
            parts.append(
                f'<text x="{PAD_L + i * step:.1f}" y="{HEIGHT - PAD_B + 14}" '
                f'text-anchor="middle">{escape(label[5:])}</text>'
            )
    return "".join(parts) + "</svg>"


def stacked_bar(stages: list[tuple[str, float]], width: int = 420) -> str:
    """One turn's latency breakdown: a bar split by stage, labelled."""
    total = sum(ms for _, ms in stages)
    if total <= 0:
        return ""
    parts = [
        f'<svg class="breakdown" viewBox="0 0 {width} 34" width="{width}" height="34" '
        'xmlns="http://www.w3.org/2000/svg" role="img"><title>latency by stage</title>'
    ]
    x = 0.0
    for n, (name, ms) in enumerate(stages):
        w = ms / total * width
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="16" '
            f'fill="{COLORS[n % len(COLORS)]}"><title>{escape(name)} {ms:g} ms</title>'
            "</rect>"
        )
        if w > 40:
            parts.append(
                f'<text x="{x + 2:.1f}" y="29" font-size="10" fill="#5b6475">{escape(name)}</text>'
            )
        x += w
    return "".join(parts) + "</svg>"


def _tick(value: float, unit: str) -> str:
    if unit.strip() == "ms" and value >= 1000:  # seconds read better and fit the margin
        return f"{value / 1000:.1f} s"
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
    return text + unit


def _empty(title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} 60" xmlns="http://www.w3.org/2000/svg" '
        f'role="img"><title>{escape(title)}</title><text x="{WIDTH / 2}" y="34" '
        'text-anchor="middle">no data yet</text></svg>'
    )
