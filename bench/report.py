#!/usr/bin/env python3
"""report.py RAW_CSV OUT_DIR QUICK SCENARIO_SPEC... — the medians of the
rounds in RAW_CSV as results.md (absolute figures, ratio to plaintext, to
stunnel and to the program's own TLS where it has one), results.csv, and one PNG chart per scenario (gnuplot)."""
import csv
import os
import platform
import statistics
import subprocess
import sys


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


def main():
    raw, out, quick, specs = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
    values = {}
    for row in csv.reader(open(raw)):
        scenario, contender, figures = row[0], row[1], [float(v) for v in row[2:]]
        values.setdefault((scenario, contender), []).append(figures)
    rows = []
    for spec in specs:
        scenario, contenders, names, units, better = spec.split("|")
        names, units = names.split(" ") if " " in names and len(units.split()) > 1 else [names], units.split()
        for i, (name, unit) in enumerate(zip(names, units)):
            med = {}
            for c in contenders.split():
                runs = values.get((scenario, c), [])
                if runs:
                    med[c] = statistics.median(r[i] for r in runs)
            for c, v in med.items():
                rows.append({
                    "scenario": scenario, "figure": name, "unit": unit, "better": better,
                    "contender": c, "median": v,
                    "vs_plain": v / med["plain"] if "plain" in med and med["plain"] else None,
                    "vs_stunnel": v / med["stunnel"] if "stunnel" in med and med["stunnel"] else None,
                    "vs_native": v / med["native"] if "native" in med and med["native"] else None,
                    "rounds": len(values[(scenario, c)]),
                })
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    model, cores, kernel = machine()
    fmt = lambda r: "" if r is None else "%.2fx" % r
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("# tlsshim benchmark%s\n\n" % (" (quick run: indicative only)" if quick else ""))
        f.write("Machine: %s, %d cores, Linux %s. Loopback. Medians of interleaved rounds.\n\n"
                % (model, cores, kernel))
        f.write("| scenario | figure | contender | median | vs plaintext | vs stunnel | vs own TLS |\n")
        f.write("| --- | --- | --- | ---: | ---: | ---: | ---: |\n")
        for r in rows:
            f.write("| %s | %s (%s, %s is better) | %s | %.2f | %s | %s | %s |\n" % (
                r["scenario"], r["figure"], r["unit"], r["better"], r["contender"],
                r["median"], fmt(r["vs_plain"]), fmt(r["vs_stunnel"]), fmt(r["vs_native"])))
    charts(rows, out)


def charts(rows, out):
    groups = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["figure"], r["unit"]), []).append(r)
    for (scenario, figure, unit), rs in groups.items():
        if len(rs) < 2:
            continue
        name = "%s-%s" % (scenario, figure.replace(" ", "_").replace("/", "_"))
        data = os.path.join(out, name + ".dat")
        with open(data, "w") as f:
            for r in rs:
                f.write('"%s" %f\n' % (r["contender"], r["median"]))
        script = """set terminal png size 640,400 noenhanced
set output '%s'
set title '%s: %s'
set ylabel '%s'
set style fill solid 0.7
set boxwidth 0.6
set yrange [0:*]
unset key
plot '%s' using 0:2:xtic(1) with boxes
""" % (os.path.join(out, name + ".png"), scenario, figure, unit, data)
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
        os.remove(data)


if __name__ == "__main__":
    main()
