#!/usr/bin/env python3
"""grafana_check.py - checks of docs/grafana/heapprof-dashboard.json for
live_grafana (grafana.sh); python3's standard library only.

  grafana_check.py structure DASHBOARD
      The JSON parses and has the shape Grafana imports: a `datasource`
      variable of type datasource (prometheus), `job` and `instance`
      variables from label_values() on that data source; every panel a
      unique id, a title, a description, a place on the grid that no other
      panel takes; every panel but rows on the data source variable, with
      targets that each have a refId (unique in the panel), an expr and the
      same data source.

  grafana_check.py queries DASHBOARD --prometheus URL --job JOB
          --instance INSTANCE --metrics FILE --rules FILE [--expect ...]
      Against a real Prometheus that scrapes a heapprof process (JOB,
      INSTANCE) with the rule file loaded: every panel's every expr, with the
      template variables replaced as Grafana replaces them, is an instant
      query that Prometheus accepts and that returns at least one series; the
      same with another job returns none (every selector is filtered by the
      variables); every metric name the exprs use is a family of the /metrics
      text in FILE, a rule of the rule file, or one of Prometheus' own series;
      every family of FILE is on some panel; the variables' label_values()
      find JOB and INSTANCE; every rule of the rule file evaluates without
      error.  --elsewhere FILE (repeatable): the /metrics text of a process
      over another allocator, whose families this one does not serve (the
      allocator panel has a line for each allocator): a query of such
      families only must parse and return no series here; it is checked
      for series in the run that serves them.  --expect TITLE REFID
      LABEL=VALUE|- NUMBER: that panel query has a series with that label
      (or its only series, for -) of that value.

Exit status 0 when every check passes; otherwise each failure is one line
on stderr and the status is 1.
"""
import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

DS = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24
# Prometheus' own series a panel may use besides heapprof's families.
PROMETHEUS_SERIES = {"ALERTS", "ALERTS_FOR_STATE", "up", "scrape_duration_seconds",
                     "scrape_samples_scraped"}
# Grafana's built-in variables, as it would set them for a 15 s scrape
# interval and a range of an hour: $__rate_interval is then
# max(4 x 15 s, $__interval + 15 s) = 1 m.
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__interval_ms": "15000",
            "__range": "1h", "__range_s": "3600", "__range_ms": "3600000"}
# A metric name as the exprs spell heapprof's: its families' prefixes, and
# the recording rules' level:metric:operations names.
METRIC_TOKEN = re.compile(r"\b(?:heapprof|component|process)[_:][a-z0-9_:]*")

errors = []


def fail(msg):
    errors.append(msg)
    print("  FAIL: " + msg, file=sys.stderr)


def panels_of(dash):
    """Every panel, those inside rows included, in order."""
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", []) or []


def variables(dash):
    return {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}


def variable_query(v):
    q = v.get("query")
    return q.get("query", "") if isinstance(q, dict) else (q or "")


def check_structure(dash):
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        fail(f"schemaVersion {dash.get('schemaVersion')!r}: expected 36 or later (Grafana 9+)")
    for key in ("title", "uid"):
        if not dash.get(key):
            fail(f"the dashboard has no {key}")
    vs = variables(dash)
    ds = vs.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        fail("no variable `datasource` of type datasource with query prometheus")
    for name in ("job", "instance"):
        v = vs.get(name)
        if not v or v.get("type") != "query":
            fail(f"no query variable `{name}`")
            continue
        if v.get("datasource") != DS:
            fail(f"variable {name}: datasource {v.get('datasource')!r}, expected {DS!r}")
        if not re.fullmatch(r"label_values\(.+,\s*" + name + r"\)", variable_query(v)):
            fail(f"variable {name}: query {variable_query(v)!r} is not label_values(..., {name})")
    ids, cells = {}, {}
    n = 0
    for p in panels_of(dash):
        n += 1
        title = p.get("title")
        where = f"panel {p.get('id')} ({title!r})"
        if not isinstance(p.get("id"), int):
            fail(f"{where}: no integer id")
        elif p["id"] in ids:
            fail(f"{where}: id {p['id']} is also panel {ids[p['id']]!r}'s")
        else:
            ids[p["id"]] = title
        if not title:
            fail(f"{where}: no title")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in ("x", "y", "w", "h")):
            fail(f"{where}: gridPos {g!r} lacks x, y, w or h")
        elif g["x"] < 0 or g["w"] < 1 or g["x"] + g["w"] > GRID_WIDTH:
            fail(f"{where}: gridPos {g!r} outside the {GRID_WIDTH} columns")
        else:
            area = [(x, y) for x in range(g["x"], g["x"] + g["w"])
                    for y in range(g["y"], g["y"] + g["h"])]
            taken = next((c for c in area if c in cells), None)
            if taken:
                fail(f"{where} overlaps {cells[taken]!r} at column {taken[0]}, row {taken[1]}")
            cells.update((c, title) for c in area)
        if p.get("type") == "row":
            continue
        if not (p.get("description") or "").strip():
            fail(f"{where}: no description")
        if p.get("datasource") != DS:
            fail(f"{where}: datasource {p.get('datasource')!r}, expected {DS!r}")
        targets = p.get("targets") or []
        if not targets:
            fail(f"{where}: no targets")
        refs = set()
        for t in targets:
            ref = t.get("refId")
            if not ref or ref in refs:
                fail(f"{where}: refId {ref!r} missing or repeated")
            refs.add(ref)
            if not (t.get("expr") or "").strip():
                fail(f"{where}, query {ref}: no expr")
            if t.get("datasource", DS) != DS:
                fail(f"{where}, query {ref}: datasource {t.get('datasource')!r}, expected {DS!r}")
    if n == 0:
        fail("the dashboard has no panels")
    return n


# ---- against Prometheus -------------------------------------------------------

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api(base, path, params):
    """GET base/api/v1/path?params: the decoded JSON answer, errors included."""
    url = f"{base}/api/v1/{path}?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with OPENER.open(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # 400 and 422 carry the error as JSON
        try:
            return json.load(e)
        except ValueError:
            return {"status": "error", "error": f"HTTP {e.code}"}


def regex_escape(value):
    """What Grafana's Prometheus data source makes of a multi-value
    variable's value in a query (prometheusSpecialRegexEscape): backslashes
    and regex metacharacters escaped, as PromQL string text."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"([$^*{}\[\]+?.()|])", r"\\\\\1", value)


def interpolate(expr, values):
    """expr with $name, ${name} and [[name]] replaced; None if a variable is
    unknown."""
    unknown = []

    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            unknown.append(name)
            return m.group(0)
        return values[name]
    out = re.sub(r"\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]", one, expr)
    return None if unknown else out


def variable_values(dash, job, instance):
    """The variables' values as Grafana puts them in a query: job a single
    value, instance a multi-value one (regex-escaped)."""
    vs = variables(dash)
    values = dict(BUILTINS)
    values["job"] = job
    values["instance"] = regex_escape(instance) if vs["instance"].get("multi") or \
        vs["instance"].get("includeAll") else instance
    return values


def series_of(answer):
    data = answer.get("data", {})
    if data.get("resultType") == "scalar":
        return [{"metric": {}, "value": data["result"]}]
    return data.get("result", [])


def families(metrics_file):
    names = set()
    with open(metrics_file) as f:
        for line in f:
            m = re.match(r"# TYPE (\S+) ", line)
            if m:
                names.add(m.group(1))
    return names


def rule_names(rules_file):
    """(records, alerts) named in a Prometheus rule file."""
    text = open(rules_file).read()
    return (re.findall(r"^\s*-?\s*record:\s*(\S+)", text, re.M),
            re.findall(r"^\s*-?\s*alert:\s*(\S+)", text, re.M))


def check_queries(dash, a):
    values = variable_values(dash, a.job, a.instance)
    other = dict(values, job=a.job + "_none")
    fams = families(a.metrics)
    absent = set()
    for f in a.elsewhere or []:
        absent |= families(f)
    absent -= fams
    records, alerts = rule_names(a.rules)
    known = fams | absent | set(records) | PROMETHEUS_SERIES
    used = set()
    results = {}
    nq = 0
    for p in panels_of(dash):
        for t in p.get("targets") or []:
            where = f"panel {p.get('title')!r}, query {t.get('refId')}"
            expr = t.get("expr", "")
            names = set(METRIC_TOKEN.findall(expr))
            elsewhere = bool(names) and names <= absent
            for name in names:
                used.add(name)
                if name not in known:
                    fail(f"{where}: {name} is no family of /metrics and no rule of {a.rules}")
            q = interpolate(expr, values)
            if q is None:
                fail(f"{where}: a variable that is neither the dashboard's nor Grafana's: {expr}")
                continue
            nq += 1
            ans = api(a.prometheus, "query", {"query": q})
            if ans.get("status") != "success":
                fail(f"{where}: Prometheus: {ans.get('errorType')}: {ans.get('error')}\n    {q}")
                continue
            got = series_of(ans)
            print(f"  {len(got):3d} series  {p.get('title')} / {t.get('refId')}"
                  + ("  (another allocator's)" if elsewhere else ""))
            if elsewhere:
                if got:
                    fail(f"{where}: of families this process does not serve, yet it answers: "
                         f"{got[:2]}")
                continue
            if not got:
                fail(f"{where}: no series (a metric or label that does not exist?)\n    {q}")
            results[(p.get("title"), t.get("refId"))] = got
            ans = api(a.prometheus, "query", {"query": interpolate(expr, other)})
            if ans.get("status") != "success" or series_of(ans):
                fail(f"{where}: with job={other['job']} it still answers: {series_of(ans)[:2]}"
                     " (a selector without job=\"$job\", instance=~\"$instance\"?)")
    for name in sorted(fams - used):
        fail(f"/metrics serves {name} and no panel shows it")
    for title, ref, label, want in a.expect or []:
        got = results.get((title, ref))
        if got is None:
            fail(f"--expect: no result for panel {title!r} query {ref}")
            continue
        if label == "-":
            pick = got if len(got) == 1 else []
        else:
            k, v = label.split("=", 1)
            pick = [s for s in got if s["metric"].get(k) == v]
        vals = [float(s["value"][1]) for s in pick]
        if len(vals) != 1 or abs(vals[0] - float(want)) > 1e-9 * max(1.0, abs(float(want))):
            fail(f"panel {title!r} query {ref}: {label} is {vals}, expected {want}; "
                 f"series: {[(s['metric'], s['value'][1]) for s in got]}")
    # The variables: Grafana answers label_values(SELECTOR, LABEL) from
    # /api/v1/label/LABEL/values?match[]=SELECTOR.
    for name, want in (("job", a.job), ("instance", a.instance)):
        q = variable_query(variables(dash)[name])
        m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", q)
        sel = interpolate(m.group(1), values) if m else None
        if not sel:
            fail(f"variable {name}: cannot read {q!r}")
            continue
        ans = api(a.prometheus, f"label/{m.group(2)}/values", {"match[]": sel})
        if ans.get("status") != "success" or want not in ans.get("data", []):
            fail(f"variable {name}: {q} found {ans.get('data', ans.get('error'))}, not {want!r}")
    # The rule file: every rule loaded, evaluated, without error.
    ans = api(a.prometheus, "rules", {})
    loaded = {r["name"]: r for g in ans.get("data", {}).get("groups", [])
              if g.get("file", "").endswith(a.rules.rsplit("/", 1)[-1])
              for r in g.get("rules", [])}
    for name in records + alerts:
        r = loaded.get(name)
        if r is None:
            fail(f"rule {name} of {a.rules} is not loaded")
        elif r.get("health") != "ok" or r.get("lastError"):
            fail(f"rule {name}: health {r.get('health')!r}, error {r.get('lastError')!r}")
        elif r.get("lastEvaluation", "0001").startswith("0001"):
            fail(f"rule {name} has not been evaluated yet")
    return nq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("structure", "queries"))
    ap.add_argument("dashboard")
    ap.add_argument("--prometheus")
    ap.add_argument("--job")
    ap.add_argument("--instance")
    ap.add_argument("--metrics")
    ap.add_argument("--rules")
    ap.add_argument("--elsewhere", action="append")
    ap.add_argument("--expect", nargs=4, action="append",
                    metavar=("TITLE", "REFID", "LABEL", "VALUE"))
    a = ap.parse_args()
    try:
        with open(a.dashboard) as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print(f"  FAIL: {a.dashboard}: {e}", file=sys.stderr)
        return 1
    if a.mode == "structure":
        n = check_structure(dash)
        print(f"  {n} panels")
    else:
        n = check_queries(dash, a)
        print(f"  {n} queries")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
