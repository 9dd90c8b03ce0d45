"""The latest diagnosis on a fault's admin page, formatted.

Every text shown comes from log lines or an LLM: it is escaped (format_html), never marked safe.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from faultportal.formats import iso


@admin.display(description="Latest diagnosis")
def latest_diagnosis(obj) -> str:
    result = obj.diagnosis if obj is not None else None
    if not isinstance(result, dict) or not result.get("probable_causes"):
        return "Not diagnosed yet: use the “Diagnose selected faults” action on the list."
    engine = result.get("engine", "")
    if result.get("model"):
        engine = f"{engine} ({result['model']})"
    header = format_html(
        "<p><strong>{}</strong> engine, {}{}</p><p>{}</p>",
        engine,
        iso(obj.diagnosed_at) or result.get("generated_at", ""),
        format_html(" — LLM not used: {}", result["llm_error"]) if result.get("llm_error") else "",
        result.get("summary", ""),
    )
    causes = format_html_join(
        "",
        "<li>{} <strong>{}</strong>: {}</li>",
        (
            (f"{c.get('confidence', 0):.0%}", c.get("title", ""), c.get("explanation", ""))
            for c in result["probable_causes"]
        ),
    )
    steps = format_html_join("", "<li>{}</li>", ((step,) for step in result.get("remediation", [])))
    lines = format_html_join(
        "",
        "<li><code>{} {} {}</code> {} <em>({})</em></li>",
        (
            (
                line.get("time") or "",
                line.get("host", ""),
                line.get("level", ""),
                line.get("text", "")[:300],
                line.get("why", ""),
            )
            for line in result.get("evidence", {}).get("log_lines", [])[:15]
        ),
    )
    metrics = format_html_join(
        "",
        "<li>{} = {} (threshold {}, {}): {} — {}</li>",
        (
            (
                m.get("name"),
                m.get("value"),
                m.get("threshold") or "–",
                m.get("source"),
                m.get("verdict"),
                m.get("note"),
            )
            for m in result.get("evidence", {}).get("metrics", [])
        ),
    )
    runbook = result.get("runbook_script")
    return format_html(
        "{}<p>Probable causes:</p><ol>{}</ol><p>Remediation:</p><ol>{}</ol>{}"
        "<p>Evidence — log lines:</p><ul>{}</ul><p>Evidence — metrics:</p><ul>{}</ul>",
        header,
        causes,
        steps,
        format_html("<p>Runbook script: <code>{}</code></p>", runbook) if runbook else "",
        lines or format_html("<li>{}</li>", "none"),
        metrics or format_html("<li>{}</li>", "none"),
    )
