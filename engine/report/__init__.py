"""The compliance report: what the audit log holds, arranged for a reviewer, as one page.

In: a ReportInput (plain data the audit package reads: the entries, the rules texts, the
profile snapshots, the chain's state). ``model.build_report`` arranges it into a Report
(sections, tables, the fairness figures of engine.fairness); ``html.render_html`` renders
that with Jinja2 into one self-contained HTML page. Out: that page, as text. Pure: no I/O
besides reading the templates shipped with Tandem.
"""
