#!/usr/bin/env python3
"""Helpers of bench/run and bench/citus: parse wrk output, sample a process's memory, time an
admin post save over HTTP, follow the home page's "older" links, fetch a list of pages once each,
write the CSV import files, read /usr/bin/time -v reports, snapshot the page cache's counters and
PostgreSQL's CPU time around a run, and collect the results (one JSON object per line in
results.jsonl)."""

import argparse
import csv
import html
import http.client
import json
import os
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def duration_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(text):
    """The figures of one `wrk --latency` run."""
    figures = {}
    for percent in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{percent}%\s+(\S+)\s*$", text, re.M)
        if match:
            figures[f"p{percent}_ms"] = duration_ms(match.group(1))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+\w+), (\S+) read", text, re.M)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)$", text, re.M)
    figures["rps"] = float(rps.group(1)) if rps else None
    figures["requests"] = int(total.group(1)) if total else None
    figures["read"] = total.group(3) if total else None
    figures["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    figures["socket_errors"] = errors.group(1).strip() if errors else ""
    return figures


def record(results, entry):
    with open(results, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def cmd_page(args):
    """Adds a page figure (wrk output + memory samples) to the results."""
    with open(args.wrk_output, encoding="utf-8") as f:
        figures = parse_wrk(f.read())
    rss, hwm = [], 0
    with open(args.memory_samples, encoding="utf-8") as f:
        for line in f:
            kind, _, value = line.partition(" ")
            if kind == "VmRSS":
                rss.append(int(value))
            elif kind == "VmHWM":
                hwm = max(hwm, int(value))
    entry = {
        "kind": "page",
        "name": args.name,
        "label": args.label,
        "url": args.url,
        "command": args.command,
        "bytes": args.bytes,
        "rss_max_kb": max(rss) if rss else None,
        "rss_median_kb": int(statistics.median(rss)) if rss else None,
        "hwm_kb": hwm or None,
        "loadavg": args.loadavg,
        **figures,
    }
    if args.json:
        entry.update(json.loads(args.json))
    if args.before and args.after:
        entry.update(between_snapshots(args.before, args.after, args.database))
    record(args.results, entry)
    print(
        f"{args.name}: {figures['rps']} req/s, p50 {figures.get('p50_ms')} ms, "
        f"p99 {figures.get('p99_ms')} ms, RSS max {entry['rss_max_kb']} kB"
        + (f", hit ratio {entry['hit_ratio']}" if entry.get("hit_ratio") is not None else "")
        + (f", PostgreSQL CPU share {entry['postgres_cpu_share']}" if "postgres_cpu_share" in entry else "")
    )
    if figures["non_2xx"] or figures["requests"] is None:
        print(f"{args.name}: {figures['non_2xx']} responses were not 2xx/3xx", file=sys.stderr)
        sys.exit(1)


def cmd_step(args):
    """Adds a timed step (or one that is not measured yet) to the results."""
    entry = {"kind": "step", "name": args.name, "label": args.label, "command": args.command}
    if args.seconds is not None:
        entry["seconds"] = args.seconds
    if args.detail:
        entry["detail"] = args.detail
    if args.json:
        entry.update(json.loads(args.json))
    record(args.results, entry)


PAGE_CACHE_COUNTERS = {"hits": "agoat_page_cache_hits_total", "misses": "agoat_page_cache_misses_total"}


def page_cache_counters(address):
    """The page cache's hits and misses so far, summed over their series, from the server's
    metrics listener (Prometheus' text format)."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        text = response.read().decode()
    counts = dict.fromkeys(PAGE_CACHE_COUNTERS, 0.0)
    for line in text.splitlines():
        for key, metric in PAGE_CACHE_COUNTERS.items():
            if re.match(rf"{metric}(\{{|\s)", line):
                counts[key] += float(line.rsplit(None, 1)[1])
    return counts


# The database a PostgreSQL process works in, from its title: a client backend's
# `postgres: [cluster: ]user database host(port) …` or an autovacuum worker's.
BACKEND_TITLE = re.compile(r"^postgres: (?:\S+: )?(?:autovacuum worker (\S+)|\S+ (\S+) (?:\S+\(\d+\)|\[local\]))")


def database_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", encoding="utf-8", errors="replace") as f:
            title = f.read().replace("\0", " ").strip()
    except OSError:
        return None
    match = BACKEND_TITLE.match(title)
    return (match.group(1) or match.group(2)) if match else None


def postgres_ticks(postmaster=None):
    """CPU clock ticks (user + system) used so far by each process named `postgres`, by pid, with
    the database each works in (None for the postmaster and the cluster's background processes):
    the cluster whose postmaster is given (it and its children), or every cluster."""
    ticks = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                stat = f.read()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        in_cluster = postmaster is None or postmaster in (int(pid), int(fields[1]))  # field 4: ppid
        if name == "postgres" and in_cluster:
            # utime and stime: fields 14 and 15 of /proc/<pid>/stat
            ticks[pid] = [int(fields[11]) + int(fields[12]), database_of(pid)]
    return ticks


def cmd_snapshot(args):
    """Writes the time, PostgreSQL's CPU ticks and (with --metrics) the page cache's counters."""
    snapshot = {"time": time.time(), "postgres_ticks": postgres_ticks(args.postmaster)}
    if args.metrics:
        snapshot["page_cache"] = page_cache_counters(args.metrics)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(snapshot, f)


def postgres_seconds(before, after, database=None):
    """CPU seconds PostgreSQL's processes used between two snapshots: all of them, or (with
    `database`) those working in it and the cluster's background processes. A process that
    started meanwhile counts from zero; one that ended meanwhile is left out (its last ticks are
    gone), so this is a lower bound."""
    ticks = sum(t - before["postgres_ticks"].get(pid, [0])[0]
                for pid, (t, db) in after["postgres_ticks"].items()
                if database is None or db in (None, database))
    return ticks / os.sysconf("SC_CLK_TCK")


def between_snapshots(before_file, after_file, database):
    """What happened between two snapshots: the page cache's hit ratio (Δhits / (Δhits +
    Δmisses)), and PostgreSQL's CPU seconds and share of the machine (those seconds ÷ (elapsed
    seconds × cores)), for the bench database (its backends and the cluster's background
    processes) and for the whole cluster (every process the snapshots counted)."""
    with open(before_file, encoding="utf-8") as f:
        before = json.load(f)
    with open(after_file, encoding="utf-8") as f:
        after = json.load(f)
    elapsed = after["time"] - before["time"]
    cores = os.cpu_count()
    seconds = postgres_seconds(before, after, database)
    cluster = postgres_seconds(before, after)
    figures = {"elapsed_s": round(elapsed, 3), "cores": cores, "postgres_database": database,
               "postgres_cpu_s": round(seconds, 2), "postgres_cpu_share": round(seconds / (elapsed * cores), 4),
               "postgres_cluster_cpu_s": round(cluster, 2),
               "postgres_cluster_cpu_share": round(cluster / (elapsed * cores), 4)}
    if "page_cache" in before and "page_cache" in after:
        hits = after["page_cache"]["hits"] - before["page_cache"]["hits"]
        misses = after["page_cache"]["misses"] - before["page_cache"]["misses"]
        figures.update({"cache_hits": hits, "cache_misses": misses,
                        "hit_ratio": round(hits / (hits + misses), 4) if hits + misses else None})
    return figures


class Site:
    """A minimal HTTP client for one site of the server: keeps the session cookie."""

    def __init__(self, address, host):
        self.address, self.host, self.cookie = address, host, None

    def request(self, method, path, fields=None):
        body, content_type = None, None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            content_type = "application/x-www-form-urlencoded"
        return self.raw(method, path, body, content_type)

    def raw(self, method, path, body=None, content_type=None):
        """A request with a body as given (bytes or text) and its content type."""
        hostname, port = self.address.rsplit(":", 1)
        conn = http.client.HTTPConnection(hostname, int(port), timeout=300)
        headers = {"Host": self.host}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if content_type:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("agoat_session="):
                self.cookie = value.split(";", 1)[0]
        conn.close()
        return response.status, response.getheader("Location"), text


def field(page, name):
    match = re.search(rf'name="{name}"[^>]*\svalue="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""


def textarea(page, name):
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def expect(status, wanted, what):
    if status != wanted:
        sys.exit(f"{what}: HTTP {status}, expected {wanted}")


def cmd_post_save(args):
    """Signs in as the editor, then saves a post `--times` times through the edit form and
    records the time of each save (the POST) and of each edit round (GET form + POST)."""
    site = Site(args.address, args.host)
    status, _, page = site.request("GET", "/admin/login")
    expect(status, 200, "login form")
    status, location, _ = site.request(
        "POST",
        "/admin/login",
        {"csrf_token": field(page, "csrf_token"), "email": args.email,
         "password": args.password, "next": "/admin"},
    )
    expect(status, 303, "sign in")
    edit = f"/admin/posts/{args.post_id}/edit"
    saves, rounds, versions = [], [], []
    for n in range(args.times):
        started = time.perf_counter()
        status, _, form = site.request("GET", edit)
        expect(status, 200, "edit form")
        version = int(field(form, "version"))
        fields = {
            "csrf_token": field(form, "csrf_token"),
            "version": str(version),
            "title": field(form, "title"),
            "slug": field(form, "slug"),
            "body": textarea(form, "body") + f"\n\nRevision note {n + 1}: checked again.\n",
            "description": field(form, "description"),
            "tags": field(form, "tags"),
            "publish_at": field(form, "publish_at"),
            "action": "save",
        }
        save_started = time.perf_counter()
        status, location, _ = site.request("POST", f"/admin/posts/{args.post_id}", fields)
        done = time.perf_counter()
        expect(status, 303, "save")
        saves.append((done - save_started) * 1000)
        rounds.append((done - started) * 1000)
        versions.append(version)
    status, _, form = site.request("GET", edit)
    final = int(field(form, "version"))
    if final != versions[0] + args.times:
        sys.exit(f"the post is at version {final}, expected {versions[0] + args.times}")
    saves.sort()
    summary = {
        "saves": args.times,
        "body_chars": len(fields["body"]),
        "save_median_ms": round(statistics.median(saves), 1),
        "save_p90_ms": round(saves[int(0.9 * (len(saves) - 1))], 1),
        "save_max_ms": round(saves[-1], 1),
        "round_median_ms": round(statistics.median(rounds), 1),
        "versions": f"{versions[0]} -> {final}",
    }
    print(json.dumps(summary))


def sign_in(site, email, password):
    status, _, page = site.request("GET", "/admin/login")
    expect(status, 200, "login form")
    status, _, _ = site.request(
        "POST",
        "/admin/login",
        {"csrf_token": field(page, "csrf_token"), "email": email, "password": password,
         "next": "/admin"},
    )
    expect(status, 303, "sign in")


def cmd_bulk_change(args):
    """Signs in as pricing staff, previews a bulk change of every product in the catalog (a
    search that matches all their SKUs) and applies it; prints the time of the preview and of
    the apply (each one POST), and the number of products changed."""
    site = Site(args.address, args.host)
    sign_in(site, args.email, args.password)
    status, _, form = site.request("GET", "/admin/products/bulk")
    expect(status, 200, "bulk form")
    fields = {
        "csrf_token": field(form, "csrf_token"),
        "selection": "search",
        "search": args.search,
        "category": "",
        "skus": "",
        "operation": "raise",
        "amount": "5",
        "target": "retail",
        "rounding": "cent",
        "name": "Benchmark: retail +5%",
        "reason": "benchmark",
    }
    started = time.perf_counter()
    status, _, preview = site.request("POST", "/admin/products/bulk/preview", fields)
    preview_seconds = time.perf_counter() - started
    expect(status, 200, "bulk preview")
    fields["fingerprint"] = field(preview, "fingerprint")
    changed = re.search(r"Apply to (\d+) product", preview)
    started = time.perf_counter()
    status, location, body = site.request("POST", "/admin/products/bulk/apply", fields)
    apply_seconds = time.perf_counter() - started
    expect(status, 303, f"bulk apply ({body[:300]})")
    print(json.dumps({
        "products": int(changed.group(1)) if changed else None,
        "preview_seconds": round(preview_seconds, 3),
        "apply_seconds": round(apply_seconds, 3),
        "change_set": location,
    }))


def cmd_follow_pages(args):
    """Follows the home page's "older" links to page `--page` and prints its address."""
    site = Site(args.address, args.host)
    path = "/"
    for page in range(1, args.page):
        status, _, text = site.request("GET", path)
        expect(status, 200, f"listing page {page}")
        match = re.search(r'href="(/\?before=[^"]+)"', text)
        if not match:
            sys.exit(f"listing page {page} has no link to older posts")
        path = html.unescape(match.group(1))
    print(path)


def cmd_pages(args):
    """Fetches the first `--count` pages of a targets file (`host path` per line) once each, one
    request at a time, from each `--address` in turn (request by request, the first server
    alternating, so that all see the same moments of a shared machine), and prints the time of
    each server's requests (median, p90, max) as JSON keyed by address: every one is rendered,
    since none was asked for in the last moments."""
    with open(args.targets, encoding="utf-8") as f:
        targets = [line.split() for line in f if line.strip()][: args.count]
    times = {address: [] for address in args.address}
    for n, (host, path) in enumerate(targets):
        order = args.address if n % 2 == 0 else list(reversed(args.address))
        for address in order:
            site = Site(address, host)
            started = time.perf_counter()
            status, _, _ = site.request("GET", path)
            times[address].append((time.perf_counter() - started) * 1000)
            expect(status, 200, f"{address} {host}{path}")
    summary = {}
    for address, taken in times.items():
        taken.sort()
        summary[address] = {
            "pages": len(taken),
            "median_ms": round(statistics.median(taken), 2),
            "p90_ms": round(taken[int(0.9 * (len(taken) - 1))], 2),
            "max_ms": round(taken[-1], 2),
        }
    print(json.dumps(summary))


def gnu_time(path):
    """Wall time, CPU time, peak RSS and exit status from a `/usr/bin/time -v` report."""
    with open(path, encoding="utf-8") as f:
        text = f.read()

    def figure(label):
        match = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.M)
        if not match:
            sys.exit(f"{path}: no {label!r}")
        return match.group(1).strip()

    wall = 0.0
    for part in figure("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(float(figure("User time (seconds)")) + float(figure("System time (seconds)")), 2),
        "max_rss_kb": int(figure("Maximum resident set size (kbytes)")),
        "exit": int(figure("Exit status")),
    }


def cmd_gnu_time(args):
    """Prints the figures of processes run under `/usr/bin/time -v` as JSON: each one's, the
    largest and the total peak RSS, and `--extra` `key=value` pairs (whole numbers as numbers)."""
    processes = [gnu_time(path) for path in args.reports]
    failed = [p for p in processes if p["exit"] != 0]
    if failed:
        sys.exit(f"a timed process failed: {failed}")
    summary = {
        "processes": processes,
        "max_rss_kb": max(p["max_rss_kb"] for p in processes),
        "max_rss_kb_total": sum(p["max_rss_kb"] for p in processes),
        "cpu_s_total": round(sum(p["cpu_s"] for p in processes), 2),
    }
    for pair in (args.extra or "").split():
        key, _, value = pair.partition("=")
        summary[key] = int(value) if value.isdigit() else value
    print(json.dumps(summary))


def cmd_wxr(args):
    """Writes a WordPress export of `--posts` posts: the fixture's channel and images, and its
    classic-editor post (id 10, with a captioned image) repeated under new ids, slugs and GUIDs,
    without its comments."""
    import re
    source = open(args.fixture, encoding="utf-8").read()
    head = source[:source.index("<item>")]
    tail = source[source.rindex("</item>") + len("</item>"):]
    items = re.findall(r"<item>.*?</item>", source, re.S)
    post = next(i for i in items if "<wp:post_id>10</wp:post_id>" in i)
    post = re.sub(r"<wp:comment>.*?</wp:comment>", "", post, flags=re.S)
    attachments = [i for i in items if "<wp:post_type><![CDATA[attachment]]></wp:post_type>" in i]
    with open(args.file, "w", encoding="utf-8") as out:
        out.write(head)
        for attachment in attachments:
            out.write(attachment + "\n")
        for n in range(args.posts):
            pid = 100000 + n
            item = post.replace("<wp:post_id>10</wp:post_id>", f"<wp:post_id>{pid}</wp:post_id>")
            item = item.replace("why-we-sleep-badly-in-spring", f"spring-sleep-{n}")
            item = re.sub(r'<guid isPermaLink="false">[^<]*</guid>',
                          f'<guid isPermaLink="false">http://oldblog.example/?p={pid}</guid>', item)
            out.write(item + "\n")
        out.write(tail)


def cmd_csv(args):
    """Writes a product CSV of `--rows` rows; `--price-step` shifts every price by that many
    cents, so a second file updates every product of the first."""
    categories = ["Vitamins", "Minerals", "Protein", "Sleep", "Digestive Health", "Omega-3s"]
    with open(args.file, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["sku", "name", "description", "category", "wholesale_price",
                         "retail_price", "in_stock"])
        for i in range(args.rows):
            cents = 500 + (i * 37) % 6000 + args.price_step
            retail = cents * 8 // 5
            writer.writerow([
                f"IMP-{i:06d}",
                f"Imported Formula {i}",
                f"Imported product number {i}, a daily supplement in capsule form.",
                categories[i % len(categories)],
                f"{cents // 100}.{cents % 100:02d}",
                f"{retail // 100}.{retail % 100:02d}",
                "true" if i % 9 else "false",
            ])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    page = sub.add_parser("page")
    for name in ("results", "name", "label", "url", "command", "wrk_output", "memory_samples"):
        page.add_argument(f"--{name.replace('_', '-')}", required=True)
    page.add_argument("--bytes", type=int, default=None)
    page.add_argument("--loadavg", type=float, default=None)
    page.add_argument("--json", help="more fields for the record (a JSON object)")
    page.add_argument("--before", help="a snapshot taken right before the run (see snapshot)")
    page.add_argument("--after", help="a snapshot taken right after the run")
    page.add_argument("--database", help="the bench database, whose PostgreSQL processes count")
    page.set_defaults(run=cmd_page)

    snapshot = sub.add_parser("snapshot")
    snapshot.add_argument("--out", required=True)
    snapshot.add_argument("--metrics", help="the server's metrics listener (host:port)")
    snapshot.add_argument("--postmaster", type=int, help="the bench cluster's postmaster (default: every cluster)")
    snapshot.set_defaults(run=cmd_snapshot)

    step = sub.add_parser("step")
    for name in ("results", "name", "label", "command"):
        step.add_argument(f"--{name}", required=True)
    step.add_argument("--seconds", type=float)
    step.add_argument("--detail")
    step.add_argument("--json")
    step.set_defaults(run=cmd_step)

    save = sub.add_parser("post-save")
    for name in ("address", "host", "email", "password", "post_id"):
        save.add_argument(f"--{name.replace('_', '-')}", required=True)
    save.add_argument("--times", type=int, default=20)
    save.set_defaults(run=cmd_post_save)

    bulk = sub.add_parser("bulk-change")
    for name in ("address", "host", "email", "password", "search"):
        bulk.add_argument(f"--{name}", required=True)
    bulk.set_defaults(run=cmd_bulk_change)

    follow = sub.add_parser("follow-pages")
    for name in ("address", "host"):
        follow.add_argument(f"--{name}", required=True)
    follow.add_argument("--page", type=int, required=True)
    follow.set_defaults(run=cmd_follow_pages)

    pages = sub.add_parser("pages")
    pages.add_argument("--address", action="append", required=True)
    pages.add_argument("--targets", required=True)
    pages.add_argument("--count", type=int, default=100)
    pages.set_defaults(run=cmd_pages)

    timed = sub.add_parser("gnu-time")
    timed.add_argument("reports", nargs="+")
    timed.add_argument("--extra", help="more fields, as key=value pairs separated by spaces")
    timed.set_defaults(run=cmd_gnu_time)

    rows = sub.add_parser("csv")
    rows.add_argument("--file", required=True)
    rows.add_argument("--rows", type=int, required=True)
    rows.add_argument("--price-step", type=int, default=0)
    rows.set_defaults(run=cmd_csv)

    wxr = sub.add_parser("wxr")
    wxr.add_argument("--fixture", required=True)
    wxr.add_argument("--file", required=True)
    wxr.add_argument("--posts", type=int, required=True)
    wxr.set_defaults(run=cmd_wxr)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
