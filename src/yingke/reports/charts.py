"""ECharts options of the dashboard, built on the server from the same figures as the
tables; the page puts each in a <script type="application/json"> that static/reports/
dashboard.js hands to echarts (no inline script: the CSP forbids it). No functions in the
options: formatters are ECharts template strings."""

from django.utils.translation import gettext as _

from yingke.reports.tables import pct

COLORS = {"A": "#b8322a", "B": "#d98b2b", "C": "#4f7cac", "D": "#9aa0a6", "new": "#6a9f58"}


def _base(**extra) -> dict:
    return {"aria": {"enabled": True}, "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "grid": {"left": 56, "right": 24, "top": 36, "bottom": 48, "containLabel": True},
            "animation": False, **extra}


def _line(y: float, label: str) -> dict:
    return {"silent": True, "symbol": "none", "lineStyle": {"type": "dashed", "color": "#b8322a"},
            "label": {"formatter": label, "position": "insideEndTop"}, "data": [{"yAxis": y}]}


def _num(value):
    return None if value is None else float(value)


def effective(data: dict) -> dict:
    rows = data["effective"]["rows"]
    x = [r["as_of"].isoformat() for r in rows]
    if data["team_limited"]:
        return _base(xAxis={"type": "category", "data": x}, yAxis={"type": "value", "name": _("Customers")},
                     series=[{"type": "bar", "name": _("Effective customers"), "data": [r["customers"] for r in rows],
                              "itemStyle": {"color": COLORS["A"]}}])
    return _base(xAxis={"type": "category", "data": x},
                 yAxis={"type": "value", "name": "%", "min": 0, "max": 100},
                 series=[{"type": "line", "name": _("Share of revenue (%)"), "data": [_num(pct(r["share"])) for r in rows],
                          "itemStyle": {"color": COLORS["A"]}, "markLine": _line(45, "45 %")}])


def occupancy(data: dict) -> dict:
    rows = [r for r in data["occupancy"]["rows"] if r["occupancy"] is not None]
    return _base(xAxis={"type": "category", "data": [f"{r['outlet']} · {r['period_name']}" for r in rows],
                        "axisLabel": {"interval": 0, "rotate": 30}},
                 yAxis={"type": "value", "name": "%", "min": 0},
                 series=[{"type": "bar", "name": _("Occupancy (%)"), "data": [_num(pct(r["occupancy"])) for r in rows],
                          "itemStyle": {"color": COLORS["C"]}, "markLine": _line(80, "80 %")}])


def managed(data: dict) -> dict:
    rows = data["managed"]["rows"]
    cats = [r["label"] for r in rows]
    share = [r["managed_share"] for r in rows]
    return _base(legend={"top": 0}, xAxis={"type": "value", "max": 100, "name": "%"},
                 yAxis={"type": "category", "data": cats},
                 series=[{"type": "bar", "stack": "all", "name": _("Managed customers"),
                          "data": [_num(pct(s)) for s in share], "itemStyle": {"color": COLORS["A"]}},
                         {"type": "bar", "stack": "all", "name": _("Walk-ins and unmanaged files"),
                          "data": [None if s is None else round(100 - float(pct(s)), 1) for s in share],
                          "itemStyle": {"color": COLORS["D"]}}])


def grades(data: dict) -> dict:
    rows = data["grades"]["rows"]
    x = [r["as_of"].isoformat() for r in rows]
    series = [{"type": "bar", "stack": "grades", "name": g, "data": [r[g] for r in rows],
               "itemStyle": {"color": COLORS[g]}} for g in "ABCD"]
    series.append({"type": "line", "name": _("A share (%)"), "yAxisIndex": 1,
                   "data": [_num(pct(r["a_share"])) for r in rows], "itemStyle": {"color": "#222"}})
    return _base(legend={"top": 0}, xAxis={"type": "category", "data": x},
                 yAxis=[{"type": "value", "name": _("Customers")}, {"type": "value", "name": "%", "min": 0, "max": 100}],
                 series=series)


def migration(data: dict) -> dict:
    m = data["migration"]
    a = m["from_run"]["as_of"].isoformat() if m["from_run"] else ""
    b = m["to_run"]["as_of"].isoformat() if m["to_run"] else ""
    left = {g: f"{_('new') if g == 'new' else g} · {a}" for g in ["A", "B", "C", "D", "new"]}
    right = {g: f"{g} · {b}" for g in "ABCD"}
    links = [{"source": left[r["from"]], "target": right[t], "value": r[t]} for r in m["rows"] for t in "ABCD"
             if r[t]]
    used = {x["source"] for x in links} | {x["target"] for x in links}
    nodes = [{"name": n, "itemStyle": {"color": COLORS[g]}} for g, n in list(left.items()) + list(right.items())
             if n in used]
    return {"aria": {"enabled": True}, "animation": False, "tooltip": {"trigger": "item", "renderMode": "richText"},
            "series": [{"type": "sankey", "data": nodes, "links": links, "nodeAlign": "justify",
                        "lineStyle": {"color": "gradient", "opacity": 0.4}, "label": {"fontSize": 12}}]}


def monthly(data: dict) -> dict:
    rows = data["monthly"]["rows"]
    return _base(xAxis={"type": "category", "data": [r["month"] for r in rows]},
                 yAxis={"type": "value", "name": _("Revenue")},
                 series=[{"type": "bar", "name": _("Revenue"), "data": [_num(r["revenue"]) for r in rows],
                          "itemStyle": {"color": COLORS["B"]},
                          "markLine": {"silent": True, "symbol": "none", "data": [{"type": "average"}],
                                       "lineStyle": {"type": "dashed"}}}])


def pareto(data: dict) -> dict:
    p = data["pareto"]
    pts = [[round(x * 100, 2), round(y * 100, 2)] for x, y in p["points"]]
    series = {"type": "line", "name": _("Share of revenue (%)"), "data": pts, "showSymbol": False,
              "areaStyle": {"opacity": 0.15}, "itemStyle": {"color": COLORS["A"]}, "markLine": _line(80, "80 %")}
    if p["share_80"] is not None:
        series["markPoint"] = {"data": [{"coord": [round(p["share_80"] * 100, 2), 80], "value": f"{pct(p['share_80'])} %"}]}
    return _base(xAxis={"type": "value", "name": _("Customers (%)"), "min": 0, "max": 100},
                 yAxis={"type": "value", "name": "%", "min": 0, "max": 100}, series=[series])


BUILDERS = {"effective": effective, "occupancy": occupancy, "managed": managed, "grades": grades,
            "migration": migration, "monthly": monthly, "pareto": pareto}


def options(data: dict) -> dict:
    return {name: build(data) for name, build in BUILDERS.items()
            if data.get(name) is not None and not data[name].get("pending")}
