#!/usr/bin/env python3
"""report.py RAW_CSV OUT_DIR QUICK SCENARIO_SPEC... — turns the rounds in
RAW_CSV (round,scenario,contender,figure...) into results.md, results.csv,
one PNG chart per figure and summary.png (gnuplot).

Every round runs each contender of a scenario back to back, so a ratio is
taken within a round (tlsshim's figure over plaintext's in the same round)
and the report gives the median of those per-round ratios: a noisy stretch
of the machine then slows both sides of a ratio instead of one. Absolute
figures are plain medians over the rounds."""
import csv
import os
import platform
import statistics
import subprocess
import sys

# The speed targets: (scenario, figure, contender, how, reference,
# bound). how is "ratio" (contender / reference >= bound), "diff"
# (contender - reference < bound, in the figure's unit) or "below"
# (contender < bound).
TARGETS = [
    ("throughput_1", "Gbit/s", "tlsshim", "ratio", "plain", 0.55),
    ("throughput_1", "Gbit/s", "tlsshim", "ratio", "stunnel", 3.0),
    ("throughput_4", "Gbit/s", "tlsshim", "ratio", "plain", 0.55),
    ("throughput_4", "Gbit/s", "tlsshim", "ratio", "stunnel", 3.0),
    ("latency", "p50", "tlsshim", "diff", "plain", 10.0),
    ("http_new_conn", "req/s", "tlsshim-full", "ratio", "native", 2.0),
    ("http_new_conn", "req/s", "tlsshim", "ratio", "native", 4.0),
    ("idle_memory", "server", "tlsshim", "below", None, 16.0),
    ("idle_memory", "client", "tlsshim", "below", None, 16.0),
    ("startup", "us added per exec", "tlsshim", "below", None, 300.0),
]

NAMES = {"plain": "plaintext", "native": "own TLS"}

# The certificate every server presents, by run.sh's BENCH_KEYS.
KEY_TYPES = {"p256": "ECDSA P-256", "ed25519": "Ed25519"}

# The contenders in the summary chart, and their order.
SUMMARY_CONTENDERS = ["tlsshim", "tlsshim-full", "stunnel", "native", "native-full"]
# Scenarios, and figures, that measure something other than speed, left out
# of it.
NOT_SPEED = {"idle_memory", "startup", "handshake_cpu"}
NOT_SPEED_FIGURES = {("http_new_conn", "ab-cpu"), ("http_new_conn", "nginx-cpu"),
                     ("conn_rate", "client-cpu"), ("conn_rate", "server-cpu")}

# The ceiling of a new-connection target: what the contender could reach if
# a TLS connection under tlsshim cost ab and nginx nothing but plaintext's
# CPU per request plus BoringSSL's own CPU for the handshake (handshake_cpu,
# measured with no sockets: its figures are client, server of a full
# handshake, then of a resumed one). {contender: index of its client figure}
CEILING_HANDSHAKE = {"tlsshim-full": 0, "tlsshim": 2}

# The ceiling over sockets: the same, with what a TLS connection adds to
# each side's CPU taken from conn_rate's programs calling BoringSSL
# themselves (native-full, native) against plaintext, system calls and all.
# {contender: the conn_rate contender that stands for it}
CEILING_SOCKETS = {"tlsshim-full": "native-full", "tlsshim": "native"}

# Scenarios whose figures are already a cost added to plaintext (measured
# against it run by run): ratios to another contender mean nothing there.
ADDED_COST = {"startup"}


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return model, os.cpu_count(), platform.release()


def load(raw):
    """({(scenario, contender): {round: [figure, ...]}}, key type). run.sh
    starts the file with a line "# keys=TYPE"; files without one are from
    before that, when every run was P-256."""
    values = {}
    keys = "p256"
    for row in csv.reader(open(raw)):
        if row and row[0].startswith("#"):
            if row[0].startswith("# keys="):
                keys = row[0][len("# keys="):]
            continue
        rnd, scenario, contender = int(row[0]), row[1], row[2]
        values.setdefault((scenario, contender), {})[rnd] = [float(v) for v in row[3:]]
    if keys not in KEY_TYPES:
        sys.exit("report: %s: unknown key type '%s'" % (raw, keys))
    return values, keys


def paired(a, b, i, op):
    """The median over the rounds that have both a and b of op(a, b) on
    figure i, or None."""
    out = []
    for rnd in sorted(set(a) & set(b)):
        v = op(a[rnd][i], b[rnd][i])
        if v is not None:
            out.append(v)
    return statistics.median(out) if out else None


def ratio(x, y):
    return x / y if y else None


def difference(x, y):
    return x - y


def figures(spec):
    """A run.sh SCENARIOS entry: scenario, contenders and, per figure, its
    name, unit and which way is better (one word for all, or one each)."""
    scenario, contenders, names, units, better = spec.split("|")
    units = units.split()
    names = names.split(" ") if len(units) > 1 else [names]
    better = better.split()
    better = better * len(units) if len(better) == 1 else better
    return scenario, contenders.split(), list(zip(names, units, better))


def bound(client, server, cores):
    """The rate two one-thread programs spending |client| and |server| us of
    CPU per request reach on |cores|: each is bounded by its own thread, and
    together by all the cores. None if a cost is not positive."""
    if client <= 0 or server <= 0:
        return None
    return min(1e6 / client, 1e6 / server, cores * 1e6 / (client + server))


def tls_added(values, contender, sockets):
    """{round: (client, server)}: the CPU, in us, that a TLS connection adds
    to each side: with |sockets|, what it added in conn_rate's own-TLS
    programs over plaintext (CEILING_SOCKETS); without, BoringSSL's
    handshake alone (CEILING_HANDSHAKE)."""
    if sockets:
        # Sockets only add to the handshake's own CPU: where conn_rate's
        # difference comes out below it (its plaintext figure holds costs
        # that do not carry over), the handshake alone stands.
        tls = values.get(("conn_rate", CEILING_SOCKETS.get(contender)), {})
        base = values.get(("conn_rate", "plain"), {})
        alone = tls_added(values, contender, False)
        return {rnd: (max(tls[rnd][1] - base[rnd][1], alone.get(rnd, (0, 0))[0]),
                      max(tls[rnd][2] - base[rnd][2], alone.get(rnd, (0, 0))[1]))
                for rnd in set(tls) & set(base)
                if len(tls[rnd]) >= 3 and len(base[rnd]) >= 3}
    i = CEILING_HANDSHAKE.get(contender)
    if i is None:
        return {}
    return {rnd: (v[i], v[i + 1])
            for rnd, v in values.get(("handshake_cpu", "native"), {}).items()}


def ceiling_ratio(values, contender, cores, sockets):
    """The median over the rounds of the ceiling over the own-TLS
    contender's req/s, or None: ab's and nginx's plaintext CPU per request
    plus what a TLS connection adds to each (tls_added)."""
    plain = values.get(("http_new_conn", "plain"), {})
    native = values.get(("http_new_conn", "native"), {})
    added = tls_added(values, contender, sockets)
    out = []
    for rnd in sorted(set(plain) & set(native) & set(added)):
        if len(plain[rnd]) < 3 or not native[rnd][0]:
            continue
        client, server = added[rnd]
        rate = bound(plain[rnd][1] + client, plain[rnd][2] + server, cores)
        if rate is not None:
            out.append(rate / native[rnd][0])
    return statistics.median(out) if out else None


def main():
    raw, out, quick, specs = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
    values, keys = load(raw)
    rows = []
    for spec in specs:
        scenario, contenders, figs = figures(spec)
        for i, (name, unit, better) in enumerate(figs):
            runs = {c: values[(scenario, c)] for c in contenders if (scenario, c) in values}
            for c, r in runs.items():
                row = {"scenario": scenario, "figure": name, "unit": unit, "better": better,
                       "contender": c, "median": statistics.median(v[i] for v in r.values())}
                compared = scenario not in ADDED_COST
                for ref in ("plain", "stunnel", "native"):
                    # A contender with full handshakes against its own TLS
                    # with full handshakes, where the scenario has one.
                    other = ref
                    if ref == "native" and c.endswith("-full") and "native-full" in runs:
                        other = "native-full"
                    row["vs_" + ref] = (paired(r, runs[other], i, ratio)
                                        if compared and other in runs else None)
                row["minus_plain"] = (paired(r, runs["plain"], i, difference)
                                      if compared and "plain" in runs else None)
                row["rounds"] = len(r)
                rows.append(row)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    rounds = max(r["rounds"] for r in rows)
    model, cores, kernel = machine()
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("# tlsshim benchmark%s\n\n" % (" (quick run: indicative only)" if quick else ""))
        f.write("Machine: %s, %d cores, Linux %s. Loopback. Every server presents "
                "the same %s certificate. %d round%s, contenders "
                "interleaved; figures are medians, ratios the median of the per-round "
                "ratios.\n\n" % (model, cores, kernel, KEY_TYPES[keys],
                                   rounds, "" if rounds == 1 else "s"))
        write_targets(f, rows, values, cores)
        write_table(f, rows)
    charts(rows, out)
    summary_chart(rows, out)


def label(rows, r):
    """The scenario's name, and the figure's when the scenario has several."""
    several = any(o["scenario"] == r["scenario"] and o["figure"] != r["figure"] for o in rows)
    return "%s %s" % (r["scenario"], r["figure"]) if several else r["scenario"]


def x(v):
    return "" if v is None else "%.2fx" % v


def write_table(f, rows):
    f.write("## All figures\n\n")
    f.write("| scenario | figure | contender | median | vs plaintext | vs stunnel | vs own TLS |\n")
    f.write("| --- | --- | --- | ---: | ---: | ---: | ---: |\n")
    for r in rows:
        f.write("| %s | %s (%s, %s is better) | %s | %.2f | %s | %s | %s |\n" % (
            r["scenario"], r["figure"], r["unit"], r["better"], r["contender"],
            r["median"], x(r["vs_plain"]), x(r["vs_stunnel"]), x(r["vs_native"])))
    f.write("\n")


def write_targets(f, rows, values, cores):
    f.write("## Targets\n\n| scenario | target | measured | met | ceiling | "
            "ceiling over sockets |\n| --- | --- | ---: | --- | ---: | ---: |\n")
    for scenario, figure, contender, how, ref, bound in TARGETS:
        r = next((r for r in rows if (r["scenario"], r["figure"], r["contender"])
                  == (scenario, figure, contender)), None)
        if r is None:
            continue
        name = label(rows, r)
        if how == "ratio":
            got = r["vs_" + ref]
            target = "%s >= %.2fx %s" % (contender, bound, NAMES.get(ref, ref))
            shown, met = x(got), got is not None and got >= bound
        elif how == "diff":
            got = r["minus_" + ref]
            target = "%s < %s + %g %s" % (contender, NAMES[ref], bound, r["unit"])
            shown = "" if got is None else "%+.1f %s" % (got, r["unit"])
            met = got is not None and got < bound
        else:
            got = r["median"]
            target = "%s < %g %s" % (contender, bound, r["unit"])
            shown, met = "%.2f %s" % (got, r["unit"]), got < bound
        tops = [ceiling_ratio(values, contender, cores, sockets)
                if scenario == "http_new_conn" else None for sockets in (False, True)]
        f.write("| %s | %s | %s | %s | %s | %s |\n" % (
            name, target, shown, "yes" if met else "**no**", x(tops[0]), x(tops[1])))
    f.write("The ceilings, for new connections: the ratio ab and nginx would reach if a "
            "TLS connection cost them only plaintext's CPU per request (ab-cpu, "
            "nginx-cpu) plus, for the ceiling, BoringSSL's own CPU for the handshake "
            "(handshake_cpu, measured with no sockets) or, for the ceiling over "
            "sockets, the CPU that TLS added to each side of a connection when "
            "conn_rate's programs made it themselves with BoringSSL (native-full, "
            "native; client-cpu and server-cpu, over plaintext's, and never less "
            "than the handshake alone); each of ab and "
            "nginx is one thread, on %d cores.\n\n" % cores)


def charts(rows, out):
    groups = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["figure"], r["unit"]), []).append(r)
    for (scenario, figure, unit), rs in groups.items():
        if len(rs) < 2:
            continue
        name = "%s-%s" % (scenario, figure.replace(" ", "_").replace("/", "_"))
        plot(os.path.join(out, name + ".png"), "640,400",
             ['"%s" %f' % (r["contender"], r["median"]) for r in rs], """set title '%s: %s'
set ylabel '%s'
set style fill solid 0.7
set boxwidth 0.6
set yrange [0:*]
unset key
plot DATA using 0:2:xtic(1) with boxes
""" % (scenario, figure, unit))


def summary_chart(rows, out):
    """summary.png: for each figure that has a plaintext figure to compare
    with, each contender's speed relative to plaintext (1 = as fast; for
    lower-is-better figures, plaintext's over the contender's), log scale."""
    keys, by_key = [], {}
    for r in rows:
        if (r["vs_plain"] is None or r["contender"] == "plain" or r["vs_plain"] <= 0
                or r["scenario"] in NOT_SPEED
                or (r["scenario"], r["figure"]) in NOT_SPEED_FIGURES):
            continue
        key = label(rows, r)
        if key not in by_key:
            keys.append(key)
            by_key[key] = {}
        by_key[key][r["contender"]] = r["vs_plain"] if r["better"] == "higher" else 1 / r["vs_plain"]
    present = [c for c in SUMMARY_CONTENDERS if any(c in v for v in by_key.values())]
    if not keys or not present:
        return
    lines = ['"%s" %s' % (key, " ".join(
        "%f" % by_key[key][c] if c in by_key[key] else "NaN" for c in present)) for key in keys]
    plots = ", ".join("DATA using %d:xtic(1) title '%s'" % (i + 2, c)
                      for i, c in enumerate(present))
    plot(os.path.join(out, "summary.png"), "1000,480", lines, """set title 'Speed relative to plaintext TCP (1 = as fast; higher is better)'
set logscale y
set yrange [0.005:2]
set grid ytics
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8
set xtics rotate by 30 right scale 0
set key outside right top
plot %s
""" % plots)


def plot(png, size, lines, script):
    """Runs gnuplot's |script| to draw |png|; DATA in the script names a
    temporary file holding |lines|."""
    data = png[:-len(".png")] + ".dat"
    with open(data, "w") as f:
        f.write("\n".join(lines) + "\n")
    script = script.replace("DATA", "'%s'" % data)
    script = "set terminal png size %s noenhanced\nset output '%s'\n%s" % (size, png, script)
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    finally:
        os.remove(data)


if __name__ == "__main__":
    main()
