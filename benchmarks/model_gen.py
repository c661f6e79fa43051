"""Generated models for benchmarks: many SLAs under a tree of masters."""

from __future__ import annotations

HEADER = """\
calendar business {
    timezone "America/Santiago"
    hours mon-fri 09:00-18:00
    holidays country "CL"
}
stream outages { account: text, service: text, start: time, end: time?, planned: bool }
stream incidents { account: text, priority: text, opened: time, responded: time?, resolved: time? }
accounts { account: text, tier: text, fee: number }
"""

OBJECTIVES = (
    'objective o{i}_up = uptime(outages where service == "s{k}" and not planned) >= 99.9%',
    'objective o{i}_resp = share(incidents where priority == "P{p}", '
    "responded - opened <= 15m) >= 95%",
    'objective o{i}_res = share(incidents where priority == "P{p}", '
    "resolved - opened during business <= 4h) >= 90%",
    "objective o{i}_mttr = mean(incidents, resolved - opened) <= 8h",
    'objective o{i}_n = count(incidents where priority == "P{p}") <= 100',
)


def large_model(slas: int = 1000, objectives_per_sla: int = 10, fan_out: int = 10) -> str:
    """`slas` SLAs of `objectives_per_sla` objectives, grouped under masters `fan_out` at a
    time, under one root master: the three levels corporate → customer → service."""
    parts = [HEADER]
    for s in range(slas):
        body = [
            "    " + OBJECTIVES[j % len(OBJECTIVES)].format(i=j, k=(s + j) % 7, p=j % 3 + 1)
            for j in range(objectives_per_sla)
        ]
        body.append("    credit on o0_up: below 99.9% -> 10%, below 99% -> 25%")
        parts.append(f'sla s{s} "Service {s}" {{\n' + "\n".join(body) + "\n}")
    masters = (slas + fan_out - 1) // fan_out
    for m in range(masters):
        children = ", ".join(f"s{c}" for c in range(m * fan_out, min(slas, (m + 1) * fan_out)))
        parts.append(f"master m{m} {{\n    include {children}\n    credit cap 30%\n}}")
    roots = ", ".join(f"m{m}" for m in range(masters))
    parts.append(f'master corp "Corporate" {{\n    period monthly\n    include {roots}\n}}')
    return "\n".join(parts) + "\n"
