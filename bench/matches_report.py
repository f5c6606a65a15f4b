"""bench/matches.py's table and plot: received rate and p99 gap against the match count."""

from __future__ import annotations

from pathlib import Path


def _fmt(value, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def print_table(report: dict) -> None:
    header = (f"{'server':<12} {'matches':>7} {'recv/s':>9} {'expect/s':>9} {'recv %':>7} "
              f"{'gap p50':>7} {'p99':>6} {'max':>6} {'late p50':>8} {'p99':>6} {'skips':>5} {'srv %':>6} "
              f"{'pg %':>5} {'ms/1k':>6} {'RSS Mi':>6} {'client %':>8} {'verdict':>7}")
    print()
    print(header)
    print("-" * len(header))
    for name, server in report["servers"].items():
        for step in server["steps"]:
            verdict = "holds" if step["holds"] else "FAILS"
            print(
                f"{name:<12} {step['matches']:>7} {step['received_per_s']:>9,.0f} "
                f"{step['expected_per_s']:>9,.0f} {step['received_percent']:>7.2f} "
                f"{_fmt(step['gap_p50_ms'], '.1f'):>7} {_fmt(step['gap_p99_ms'], '.1f'):>6} "
                f"{step['gap_max_ms']:>6.1f} {_fmt(step['tick_lateness_p50_ms'], '.2f'):>8} "
                f"{_fmt(step['tick_lateness_p99_ms'], '.1f'):>6} "
                f"{_fmt(step.get('deadlines_skipped'), 'd'):>5} {step['server_cpu_percent']:>6.1f} "
                f"{_fmt(step['postgres_cpu_percent'], '.1f'):>5} "
                f"{_fmt(step['server_cpu_ms_per_1000_states'], '.1f'):>6} {step['server_rss_mib']:>6.0f} "
                f"{step['client_cpu_percent']:>7.1f}{'!' if step['client_saturated'] else ' '} "
                f"{verdict:>7}"
            )
    print("gap: client-side inter-arrival of state updates (ms); late: Courtside tick lateness (ms);"
          " skips: tick deadlines Courtside's shard skipped in the window (one state lost to every player each);"
          " srv %, pg %: CPU time / wall (100 = one core); ms/1k: server CPU ms per 1000 states "
          "received; client % with ! = past 80 % (figures are then a lower bound)")
    if "live_channels" in report:
        _print_issue20_table(report)
    for name, server in report["servers"].items():
        cap = server["capacity"]
        bound = " (lower bound: the load client's core passed 80 %)" if cap["lower_bound"] else ""
        end = (f"first failing step {cap['first_failing_step']}" if cap["first_failing_step"]
               else "ramp ended without a failing step")
        per_core = (f" ({cap['matches_per_busy_core']} per busy server core, {cap['busy_server_cores']} busy)"
                    if cap.get("matches_per_busy_core") else "")
        print(f"{name}: {cap['matches']} matches hold{per_core}{bound}; {end}")
    for name, share in report.get("scaling", {}).items():
        if name != "target":
            print(f"{name}: matches per busy server core = {100 * share:.1f} % of one worker's "
                  f"(target >= {100 * report['scaling']['target']:.0f} %)")
    if "ratio" in report:
        ratio = report["ratio"]
        print(f"Courtside / bare baseline: {_fmt(ratio['courtside_over_bare'], '.2f')}x "
              f"(target >= {ratio['target']:.0f}x, stretch {ratio['stretch']:.0f}x)")


def _print_issue20_table(report: dict) -> None:
    """With --live-channels or --waves: the loop's longest stall, the players' live
    sockets and the wave of each step's chosen window."""
    header = (f"{'server':<12} {'matches':>7} {'stall ms':>8} {'>25ms':>5} {'live':>6} {'closed':>6} "
              f"{'events':>6} {'live %':>6} {'load core %':>11} {'wave':>5} {'queued':>6} "
              f"{'paired':>6} {'left':>4} {'refused':>7} {'make s':>6} {'queue s':>7}")
    print()
    print(header)
    print("-" * len(header))
    for name, server in report["servers"].items():
        for step in server["steps"]:
            live = f"{step['live_subscribed']}/{step['live_sockets']}" if "live_sockets" in step else "-"
            wave = "wave_guests" in step
            refused = (sum(step["wave_guest_refused"].values()) + sum(step["wave_queue_refused"].values())
                       if wave else None)
            load_core = step["client_cpu_percent"] + (step.get("live_client_cpu_percent") or 0.0)
            print(
                f"{name:<12} {step['matches']:>7} {_fmt(step.get('loop_stall_max_ms'), '.1f'):>8} "
                f"{_fmt(step.get('loop_steps_over_25ms'), 'd'):>5} "
                f"{live:>6} "
                f"{_fmt(step.get('live_closed'), 'd'):>6} {_fmt(step.get('live_events'), 'd'):>6} "
                f"{_fmt(step.get('live_client_cpu_percent'), '.1f'):>6} "
                f"{load_core:>10.1f}{'!' if step['client_saturated'] else ' '} "
                f"{_fmt(step.get('wave_guests'), 'd'):>5} {_fmt(step.get('wave_queued'), 'd'):>6} "
                f"{_fmt(step.get('wave_paired'), 'd'):>6} {_fmt(step.get('wave_left_unpaired'), 'd'):>4} "
                f"{_fmt(refused, 'd'):>7} {_fmt(step.get('wave_create_seconds'), '.1f'):>6} "
                f"{_fmt(step.get('wave_queue_seconds'), '.1f'):>7}"
                + (" (wave outlasted the window)" if step.get("wave_outlasted_window") else "")
            )
    print("stall: courtside_loop_stall_seconds read right after the window (the longest task step "
          "since the scrape just before it); >25ms: steps longer than 25 ms (courtside_loop_step_seconds); "
          "live: players' user sockets subscribed / opened, closed: ended since, events: received on them "
          "so far; live %, load core %: the live client's CPU, and with the load client's (! = past 80 %); "
          "wave: guests made, queued (201), paired by the window's end, left the queue unpaired after it, "
          "refused (guest or queue), seconds to make them and to queue them")


def plot(report: dict, path: Path) -> None:
    """Two panels: received % of expected, and p99 gap, against concurrent matches."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib not installed (`.venv/bin/pip install matplotlib`): no plot")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figure, (received, gap) = plt.subplots(1, 2, figsize=(12, 4.8))
    criteria = report["criteria"]
    styles = {"courtside": ("tab:blue", "o"), "bare": ("tab:orange", "s")}
    for name, server in report["servers"].items():
        steps = server["steps"]
        if not steps:
            continue
        color, marker = styles.get(name, ("tab:gray", "^"))
        label = {"courtside": "Courtside", "bare": "bare trio-websocket"}.get(
            name, name.replace("courtside-w", "Courtside, workers: "))
        counts = [s["matches"] for s in steps]
        received.plot(counts, [s["received_per_s"] for s in steps], marker=marker, color=color,
                      label=f"{label}: received")
        received.plot(counts, [s["expected_per_s"] for s in steps], linestyle=":", color=color,
                      label=f"{label}: expected")
        gap.plot(counts, [s["gap_p99_ms"] for s in steps], marker=marker, color=color, label=label)
        failing = [s for s in steps if not s["holds"]]
        for axis, key in ((received, "received_per_s"), (gap, "gap_p99_ms")):
            axis.scatter([s["matches"] for s in failing], [s[key] for s in failing], marker="x",
                         s=80, color="red", zorder=3)
        for step in steps:
            if step["client_saturated"]:
                gap.annotate("client > 80 %", (step["matches"], step["gap_p99_ms"]),
                             fontsize=7, textcoords="offset points", xytext=(4, 4))
        cap = server["capacity"]["matches"]
        if cap:
            for axis in (received, gap):
                axis.axvline(cap, color=color, linestyle="--", linewidth=0.8)
    gap.axhline(criteria["max_p99_gap_ms"], color="red", linewidth=0.8,
                label=f"limit {criteria['max_p99_gap_ms']:.0f} ms")
    received.set(xlabel="concurrent 1v1 matches",
                 ylabel="state updates received / s", title="Received rate (x: step fails; dashed: capacity)")
    gap.set(xlabel="concurrent 1v1 matches", ylabel="ms",
            title="Client-side p99 inter-arrival gap (60 Hz = 16.7 ms)")
    gap.set_yscale("log")
    highest = max([s["gap_p99_ms"] or 0 for server in report["servers"].values()
                   for s in server["steps"]] + [30])
    gap.set_yticks([t for t in (10, 15, 20, 25, 35, 50, 75, 100, 150, 250, 500, 1000)
                    if t <= highest * 1.5])
    gap.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    gap.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for axis in (received, gap):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    ratio = report.get("ratio", {}).get("courtside_over_bare")
    figure.suptitle(f"Courtside match engine vs bare baseline, {report['date'][:10]}"
                    + (f": {ratio:.1f}x matches per core" if ratio else ""))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
