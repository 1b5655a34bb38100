"""The load of the soak test (bench/soak): visitors across every site, an editor saving a post,
pricing staff applying bulk changes and CSV imports, all at once against two app servers, with
the primary database restarted once in the middle. It records what the clients saw committed
and every error with its time, samples the servers' memory, and at the end checks the database
for every committed write and prints one JSON report.

    python3 bench/soak.py --servers 127.0.0.1:8081,127.0.0.1:8082 --pids 123,456 \
        --sites sites.tsv --db-url postgres://… --duration 600 --restart-at 300 \
        --restart-cmd "pg_ctl … restart" --editor-email … --pricing-email … --password … \
        --edit-post-id … --sku …
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Site, expect, field, sign_in, textarea  # noqa: E402

BOUNDARY = "----agoat-soak-7d1f"
# The first customer's products, by the SKU prefix the benchmark seed gives them.
BULK_SEARCH = "BN-00000-"


class Log:
    """What every client saw: committed writes, errors with their times, cross-tenant checks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.errors = []
        self.counts = {}
        self.saved_titles = []
        self.change_sets = []
        self.tenant_checks = 0
        self.tenant_leaks = []

    def count(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def error(self, kind, what):
        with self.lock:
            self.errors.append((time.time(), kind, str(what)[:200]))


def visitor(stop, log, servers, sites, seed):
    """Asks random pages of random sites and checks each shows its own site and no other's."""
    rng = random.Random(seed)
    while not stop.is_set():
        host, name = rng.choice(sites)
        other_host, other_name = rng.choice(sites)
        path = rng.choice(["/", "/", "/feed.xml", "/tags", "/products", "/sitemap.xml"])
        site = Site(rng.choice(servers), host)
        try:
            status, _, body = site.request("GET", path)
        except OSError as error:
            log.error("visit", error)
            continue
        if status != 200:
            log.error("visit", f"{host}{path}: HTTP {status}")
            continue
        log.count("visits")
        if path == "/":
            with log.lock:
                log.tenant_checks += 1
                if name not in body or (other_name != name and other_name in body):
                    log.tenant_leaks.append(f"{host} shows {other_name}")


def staff(stop, log, servers, email, password, kind, pause, work):
    """Signs in as `email` and runs `work(site, n)` every `pause` seconds until stopped; after a
    failure (logged as `kind`) it signs in again, on the next server. A refused sign-in during the
    restart is a failure like any other (the harness exits on it: that is caught here)."""
    n = 0
    site = None
    while not stop.is_set():
        try:
            if site is None:
                site = Site(servers[n % len(servers)], log.editor_host)
                sign_in(site, email, password)
            n += 1
            work(site, n)
        except (OSError, Failed, SystemExit) as error:
            log.error(kind, error)
            site = None
            time.sleep(0.2)
        time.sleep(pause)


def save_post(log, post_id):
    """The editor's work: saves the post with a new title, on either server."""
    def work(site, n):
        edit = f"/admin/posts/{post_id}/edit"
        status, _, form = site.request("GET", edit)
        expect_status(status, 200, "edit form")
        title = f"Soak save {n}"
        fields = {
            "csrf_token": field(form, "csrf_token"),
            "version": field(form, "version"),
            "title": title,
            "slug": field(form, "slug"),
            "body": textarea(form, "body"),
            "description": field(form, "description"),
            "tags": field(form, "tags"),
            "publish_at": field(form, "publish_at"),
            "action": "save",
        }
        status, _, _ = site.request("POST", f"/admin/posts/{post_id}", fields)
        expect_status(status, 303, "save")
        with log.lock:
            log.saved_titles.append(title)
        log.count("saves")
    return work


def change_price(log, sku):
    """The pricing staff's work: a bulk change, then a CSV import of one product's price, in turn."""
    def work(site, n):
        location = bulk_change(site, n) if n % 2 else csv_import(site, sku, n)
        match = re.search(r"/admin/products/change-sets/([0-9a-f-]{36})", location or "")
        if match:
            with log.lock:
                log.change_sets.append(match.group(1))
        log.count("price changes")
    return work


class Failed(Exception):
    pass


def expect_status(status, wanted, what):
    if status != wanted:
        raise Failed(f"{what}: HTTP {status}")


def bulk_change(site, n):
    status, _, form = site.request("GET", "/admin/products/bulk")
    expect_status(status, 200, "bulk form")
    fields = {
        "csrf_token": field(form, "csrf_token"), "selection": "search", "search": BULK_SEARCH,
        "category": "", "skus": "", "operation": "raise" if n % 4 == 1 else "lower",
        "amount": "1", "target": "retail", "rounding": "cent", "name": f"Soak bulk {n}",
        "reason": "soak",
    }
    status, _, preview = site.request("POST", "/admin/products/bulk/preview", fields)
    expect_status(status, 200, "bulk preview")
    fields["fingerprint"] = field(preview, "fingerprint")
    fields["confirm_negative"] = "on"  # the staff confirm margins that go negative
    status, location, _ = site.request("POST", "/admin/products/bulk/apply", fields)
    expect_status(status, 303, "bulk apply")
    return location


def csv_import(site, sku, n):
    status, _, form = site.request("GET", "/admin/products/import")
    expect_status(status, 200, "import form")
    token = field(form, "csrf_token")
    price = f"{20 + n % 50}.{n % 100:02d}"
    content = f"sku,retail_price\n{sku},{price}\n"
    body = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"soak-{n}.csv\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
        f"--{BOUNDARY}--\r\n"
    )
    status, _, report = site.raw(
        "POST", "/admin/products/import", body.encode(),
        f"multipart/form-data; boundary={BOUNDARY}")
    expect_status(status, 200, "csv upload")
    match = re.search(r'action="(/admin/products/import/[0-9a-f-]{36}/apply)"', report)
    if not match:
        return None  # the price was already that: nothing to apply
    fields = {"csrf_token": token, "name": f"Soak CSV {n}", "reason": "soak"}
    status, location, _ = site.request("POST", match.group(1), fields)
    expect_status(status, 303, "csv apply")
    return location


def failed_checks(report):
    """The checks the run failed, in words."""
    failed = []
    if report["writes_lost"]:
        failed.append(f"{report['writes_lost']} committed writes lost")
    if report["tenant_leaks"]:
        failed.append("a page showed another customer's site")
    if report["errors_outside_window"]:
        failed.append(f"{report['errors_outside_window']} errors outside the restart window")
    if any(g is None or g > 10.0 for g in report["rss_growth_percent"]):
        failed.append("server memory grew more than 10 % after the warm-up")
    if not report["saves_committed"] or not report["price_changes_committed"]:
        failed.append("a kind of write never committed")
    return failed


def kinds(errors):
    """How many errors of each kind and answer (`visit: HTTP 503`)."""
    counted = {}
    for _, kind, what in errors:
        answer = re.search(r"HTTP \d+", what)
        key = f"{kind}: {answer.group(0) if answer else what[:60]}"
        counted[key] = counted.get(key, 0) + 1
    return counted


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def page_cache_kib(metrics_addr):
    """The page cache's bytes as the server's metrics listener reports them, in KiB."""
    try:
        with urllib.request.urlopen(f"http://{metrics_addr}/metrics", timeout=5) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith("agoat_page_cache_bytes "):
                    return int(float(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


def sample_memory(stop, started, pids, metrics, every, samples):
    """Every `every` seconds: seconds since start, each server's RSS and page cache size (KiB)."""
    while not stop.wait(every):
        samples.append((round(time.time() - started), [rss_kib(pid) for pid in pids],
                        [page_cache_kib(addr) for addr in metrics]))


def psql(db_url, sql):
    out = subprocess.run(["psql", db_url, "-XAtq", "-c", sql], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    for name in ["servers", "pids", "sites", "db-url", "restart-cmd", "editor-email",
                 "pricing-email", "password", "edit-post-id", "sku", "editor-host"]:
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--metrics", default="",
                        help="the servers' metrics listeners, in the order of --pids")
    parser.add_argument("--sample-every", type=float, default=30,
                        help="seconds between two samples of the servers' memory")
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--restart-at", type=float, default=300)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--visitors", type=int, default=6)
    parser.add_argument("--benchmarks", help="BENCHMARKS.md: its soak section is replaced")
    parser.add_argument("--grace", type=float, default=15,
                        help="seconds after the restart during which errors are expected")
    args = parser.parse_args()
    servers = args.servers.split(",")
    pids = [int(p) for p in args.pids.split(",")]
    with open(args.sites) as rows:
        sites = [tuple(line.rstrip("\n").split("\t")) for line in rows if line.strip()]

    log = Log()
    log.editor_host = args.editor_host
    stop = threading.Event()
    threads = [threading.Thread(target=visitor, args=(stop, log, servers, sites, i))
               for i in range(args.visitors)]
    threads.append(threading.Thread(target=staff, args=(
        stop, log, servers, args.editor_email, args.password, "save", 0.3,
        save_post(log, args.edit_post_id))))
    threads.append(threading.Thread(target=staff, args=(
        stop, log, servers, args.pricing_email, args.password, "pricing", 1.0,
        change_price(log, args.sku))))
    started = time.time()
    samples = []
    metrics = [m for m in args.metrics.split(",") if m]
    sampler = threading.Thread(target=sample_memory, args=(
        stop, started, pids, metrics, args.sample_every, samples))
    for thread in threads + [sampler]:
        thread.start()

    time.sleep(args.warmup)
    rss_warm = [rss_kib(pid) for pid in pids]
    time.sleep(max(0.0, started + args.restart_at - time.time()))
    restart_began = time.time()
    subprocess.run(args.restart_cmd, shell=True, check=True, capture_output=True)
    restart_ended = time.time()
    time.sleep(max(0.0, started + args.duration - time.time()))
    stop.set()
    for thread in threads + [sampler]:
        thread.join()
    rss_end = [rss_kib(pid) for pid in pids]
    ended = time.time()

    window_end = restart_ended + args.grace
    outside = [e for e in log.errors if not restart_began - 1 <= e[0] <= window_end]
    saved = set(psql(args.db_url,
                     "SELECT string_agg(title, E'\\n') FROM content.post_revisions "
                     f"WHERE post_id = '{args.edit_post_id}'").splitlines())
    lost_saves = [t for t in log.saved_titles if t not in saved]
    change_sets = set(psql(args.db_url,
                           "SELECT string_agg(id::text, E'\\n') FROM thorne.change_sets"
                           ).splitlines())
    lost_change_sets = [c for c in log.change_sets if c not in change_sets]
    growth = [round(100.0 * (end - warm) / warm, 1) if warm else None
              for warm, end in zip(rss_warm, rss_end)]
    report = {
        "seconds": round(ended - started),
        "servers": len(servers),
        "sites": len(sites),
        "visits": log.counts.get("visits", 0),
        "saves_committed": len(log.saved_titles),
        "price_changes_committed": len(log.change_sets),
        "writes_lost": len(lost_saves) + len(lost_change_sets),
        "lost": (lost_saves + lost_change_sets)[:10],
        "tenant_checks": log.tenant_checks,
        "tenant_leaks": log.tenant_leaks[:10],
        "restart_seconds": round(restart_ended - restart_began, 2),
        "errors_in_restart_window": len(log.errors) - len(outside),
        "errors_in_window_by_kind": kinds([e for e in log.errors if e not in outside]),
        "errors_outside_window": len(outside),
        "errors_outside_sample": [f"{round(t - started)}s {k}: {w}" for t, k, w in outside[:10]],
        "rss_kib_after_warmup": rss_warm,
        "rss_kib_at_end": rss_end,
        "rss_growth_percent": growth,
        "memory_samples": samples,
    }
    report["failed_checks"] = failed_checks(report)
    report["passed"] = not report["failed_checks"]
    print(json.dumps(report))
    if args.benchmarks:
        write_section(args.benchmarks, report, args)
    sys.exit(0 if report["passed"] else 1)


SECTION = "## Soak under faults"


def memory_table(samples):
    """The memory samples as a table: RSS and page cache size of each server, in MiB."""
    def mib(kib):
        return "–" if kib is None else f"{kib / 1024:.1f}"
    servers = len(samples[0][1])
    head = " | ".join(f"server {n + 1} RSS | server {n + 1} page cache" for n in range(servers))
    rows = ["Memory over the run (MiB):", "", f"| s | {head} |",
            "|---|" + "---|" * (2 * servers)]
    for seconds, rss, cache in samples:
        cache = cache + [None] * (servers - len(cache))
        cells = " | ".join(f"{mib(r)} | {mib(c)}" for r, c in zip(rss, cache))
        rows.append(f"| {seconds} | {cells} |")
    return rows + [""]


def write_section(path, report, args):
    """Replaces the soak section of BENCHMARKS.md (or adds it at the end)."""
    def mib(kib):
        return f"{kib / 1024:.0f} MiB"
    rss = ", ".join(f"{mib(w)} → {mib(e)} ({g:+.1f} %)" for w, e, g in zip(
        report["rss_kib_after_warmup"], report["rss_kib_at_end"], report["rss_growth_percent"]))
    lines = [
        SECTION,
        "",
        f"`bench/soak`: {report['seconds']} s of mixed load against {report['servers']} app "
        "servers reading visitors' pages from one streaming replica, the primary restarted "
        f"(`pg_ctl restart -m fast`) after {args.restart_at:.0f} s; {args.visitors} visitor "
        f"threads across every site of the seed (20 customers, {report['sites']} sites), one editor saving a "
        "post, pricing staff alternating a bulk change and a CSV import. Result: "
        + ("**passed**." if report["passed"]
           else f"**failed**: {'; '.join(report['failed_checks'])}."),
        "",
        "| figure | value |",
        "|---|---|",
        f"| visits answered | {report['visits']:,} |",
        f"| post saves committed (each found among the post's revisions) | {report['saves_committed']} |",
        f"| price changes committed (each found among the change sets) | {report['price_changes_committed']} |",
        f"| committed writes lost | {report['writes_lost']} |",
        f"| cross-tenant checks (home page shows its own site, not another's) | {report['tenant_checks']:,}, {len(report['tenant_leaks'])} failed |",
        f"| primary restart took | {report['restart_seconds']} s |",
        f"| errors within the restart window (restart + {args.grace:.0f} s) | {report['errors_in_restart_window']} ("
        + ", ".join(f"{k} ×{n}" for k, n in report["errors_in_window_by_kind"].items()) + ") |",
        f"| errors outside it | {report['errors_outside_window']} |",
        f"| server memory (RSS) after {args.warmup:.0f} s warm-up → at the end | {rss} |",
        "",
    ]
    if report["memory_samples"]:
        lines += memory_table(report["memory_samples"])
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    else:
        end = text.find("\n## ", start + len(SECTION))
        rest = text[end + 1:] if end >= 0 else ""
        text = text[:start] + "\n".join(lines) + ("\n" + rest if rest else "")
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
