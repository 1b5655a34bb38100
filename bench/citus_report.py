#!/usr/bin/env python3
"""Writes BENCHMARKS-citus.md (Markdown, on stdout) from a bench/citus folder: machine.env,
seed-<setup>.env, results.jsonl and explain-<setup>.txt. Every figure comes from those files."""

import os
import statistics
import sys

from report import ms, num, read_env, read_results

SETUPS = [("single", "Single PostgreSQL"), ("citus", "Citus: coordinator + 2 workers")]
# How long a rendered page is served from the page cache without a render (src/web/page_cache.rs:
# PageCache::TTL, 400 ms, less REFRESH_AHEAD, 100 ms, in which a request renders the successor).
PAGE_REUSE_S = 0.3


def rounds_of(results, setup):
    return sorted((r for r in results.values() if r.get("kind") == "page" and r.get("setup") == setup),
                  key=lambda r: r["round"])


def mean(values):
    values = [v for v in values if v is not None]
    return statistics.mean(values) if values else None


def hit_ratio(run):
    """Share of requests answered from the page cache: 1 − renders ÷ requests (warm-up included,
    as the renders are counted from before it)."""
    requests = (run.get("requests") or 0) + (run.get("warmup_requests") or 0)
    if run.get("renders") is None or not requests:
        return None
    return max(0.0, 1 - run["renders"] / requests)


def expected_hit_ratio(rps, targets):
    """With uniform requests over `targets` pages at `rps`, each page is asked for at λ = rps /
    targets per second; a render is reused for about PAGE_REUSE_S, so requests answered without a
    render per render are λ·PAGE_REUSE_S."""
    if not rps or not targets:
        return None
    reuse = rps / targets * PAGE_REUSE_S
    return reuse / (1 + reuse)


def pct(value):
    return "—" if value is None else f"{value * 100:.1f}%"


def ratio(citus, single, digits=2):
    if citus is None or not single:
        return "—"
    return f"{citus / single:.{digits}f}×"


def mb(kb):
    return "—" if not kb else f"{kb / 1024:.1f} MB"


def summary_rows(results, targets):
    s = {name: rounds_of(results, name) for name, _ in SETUPS}
    rows = []

    def add(label, values, shown):
        single, citus = values
        rows.append(f"| {label} | {shown(single)} | {shown(citus)} | {ratio(citus, single)} |")

    n = min(len(s["single"]), len(s["citus"]))
    add(f"Random post pages: requests/s (mean of {n} rounds)",
        [mean(r["rps"] for r in s[k]) for k, _ in SETUPS], lambda v: num(v))
    add("Random post pages: p50", [mean(r.get("p50_ms") for r in s[k]) for k, _ in SETUPS], ms)
    add("Random post pages: p99", [mean(r.get("p99_ms") for r in s[k]) for k, _ in SETUPS], ms)
    hits = [mean(hit_ratio(r) for r in s[k]) for k, _ in SETUPS]
    rows.append(f"| Random post pages: answered from the page cache without a render "
                f"(1 − renders ÷ requests) | {pct(hits[0])} | {pct(hits[1])} | — |")
    cold = [results.get(f"cold_{k}") or {} for k, _ in SETUPS]
    pages = cold[0].get("pages")
    add(f"Uncached post page, one request at a time: median ({pages} pages of one site, "
        "after the wrk runs)", [c.get("median_ms") for c in cold], ms)
    add("Uncached post page, one request at a time: p90", [c.get("p90_ms") for c in cold], ms)
    saves = [results.get(f"post_save_{k}") or {} for k, _ in SETUPS]
    count = saves[0].get("saves")
    add(f"Admin post save (POST): median of {count}", [v.get("save_median_ms") for v in saves], ms)
    add("Admin post save (POST): p90", [v.get("save_p90_ms") for v in saves], ms)
    add("Admin post save (POST): max", [v.get("save_max_ms") for v in saves], ms)
    add("Admin edit round (GET form + POST): median", [v.get("round_median_ms") for v in saves], ms)
    add("Server RSS during the random-page runs (max)",
        [max((r.get("rss_max_kb") or 0) for r in s[k]) or None for k, _ in SETUPS], mb)
    add("`agoat migrate` (migrations, and on Citus placing every table)",
        [(results.get(f"migrate_{k}") or {}).get("seconds") for k, _ in SETUPS],
        lambda v: "—" if v is None else f"{v:.1f} s")
    add("`agoat bench seed`", [(results.get(f"seed_{k}") or {}).get("seconds") for k, _ in SETUPS],
        lambda v: "—" if v is None else f"{v:.1f} s")
    add("Database size after VACUUM ANALYZE (all nodes)",
        [(results.get(f"seed_{k}") or {}).get("database_bytes") for k, _ in SETUPS],
        lambda v: "—" if v is None else f"{v / 1048576:,.0f} MB")
    return rows


def round_rows(results, targets):
    rows = [
        "| Setup | Round | Requests/s | p50 | p99 | Requests (10 s + 2 s warm-up) | Renders "
        "| Answered without a render | Server RSS (max) | Load avg (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ordered = sorted((r for r in results.values() if r.get("kind") == "page" and r.get("setup")),
                     key=lambda r: (r["round"], r["setup"] != "single"))
    names = dict(SETUPS)
    for r in ordered:
        rows.append(
            f"| {names[r['setup']]} | {r['round']} | {num(r['rps'])} | {ms(r.get('p50_ms'))} "
            f"| {ms(r.get('p99_ms'))} | {num(r.get('requests'))} + {num(r.get('warmup_requests'))} "
            f"| {num(r.get('renders'))} | {pct(hit_ratio(r))} "
            f"| {mb(r.get('rss_max_kb'))} | {num(r.get('loadavg'), 1)} |"
        )
    return rows


def plan(run_dir, setup):
    path = os.path.join(run_dir, f"explain-{setup}.txt")
    if not os.path.exists(path):
        return ["(no plan recorded)"]
    with open(path, encoding="utf-8") as f:
        return [line.rstrip() for line in f if line.strip()]


def main():
    run_dir = sys.argv[1]
    machine = read_env(os.path.join(run_dir, "machine.env"))
    seed = read_env(os.path.join(run_dir, "seed-single.env"))
    results = read_results(os.path.join(run_dir, "results.jsonl"))
    targets = (results.get("targets") or {}).get("targets")
    seeded = results.get("seed_single", {})
    cold_single, cold_citus = results.get("cold_single") or {}, results.get("cold_citus") or {}
    expected = [mean(expected_hit_ratio(r["rps"], targets) for r in rounds_of(results, k))
                for k, _ in SETUPS]
    out = [
        "# Benchmarks: Citus cluster and single PostgreSQL",
        "",
        f"Written by `bench/citus` on {machine.get('date')} (commit {machine.get('commit')}) in "
        f"{num(float(machine.get('run_seconds', 0)) / 60, 1)} minutes; every figure below is copied "
        "from that run's outputs (`target/bench/citus/`). To refresh, run `bench/citus` again — do "
        "not edit by hand. The single-server benchmarks are in [BENCHMARKS.md](BENCHMARKS.md).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {machine.get('cpu')} |",
        f"| Cores | {machine.get('cores')} |",
        f"| RAM | {machine.get('ram')} |",
        f"| Kernel | {machine.get('kernel')} |",
        f"| PostgreSQL | {machine.get('postgres')} |",
        f"| Citus | {machine.get('citus')} |",
        f"| Rust | {machine.get('rustc')} |",
        f"| wrk | {machine.get('wrk')} |",
        f"| Load average (1/5/15 min) at start / end | {machine.get('loadavg_start')} / {machine.get('loadavg_end')} |",
        "",
        "All of it on this one machine: four PostgreSQL servers (one single server, a Citus "
        "coordinator and two Citus workers, each a fresh `initdb` on its own port on 127.0.0.1), "
        "two `agoat serve` processes (one per setup) and wrk. The machine was not reserved: other "
        "work (builds, test suites starting their own Citus clusters) ran at times, as the load "
        "averages show. The two setups are therefore measured alternately, round by round, so that "
        "both see about the same load; compare the ratios more than the absolute figures.",
        "",
        "## Setups",
        "",
        "- **Single PostgreSQL**: one server, the product's schema as `agoat migrate` makes it.",
        f"- **Citus**: a coordinator and two workers (`citus.shard_count = {machine.get('shard_count')}`); "
        "`agoat migrate` on the coordinator places every table: `tenancy.customers`, "
        "`tenancy.sites` and `tenancy.domains` as reference tables (a copy on every node, the "
        "coordinator included), every other table distributed by `customer_id` and co-located "
        "(see [docs/deploy/citus.md](docs/deploy/citus.md)). The app server connects to the "
        "coordinator only.",
        "- Every node has the same settings: `max_connections = 200`, `shared_buffers = 256MB`, "
        "`fsync = off` (as in the tests: no disk flush in any figure), trust authentication on "
        "loopback; the Citus nodes add `shared_preload_libraries = 'citus'`. The app server uses its "
        "default pool (at most 16 connections) and logs one line per request, as in production.",
        "- The serving login `agoat_app` is made a login by `agoat serve` itself (`src/db/roles.rs`): "
        "it runs `ALTER ROLE agoat_app LOGIN` in the coordinator's database, which has the `citus` "
        "extension, so Citus propagates it to both workers (the run checks `rolcanlogin` on every node).",
        "",
        "## Data set",
        "",
        f"- The same on both: `agoat bench seed {machine.get('seed_args')}`: "
        f"{num(int(seed.get('customers', 0)))} customers, {num(int(seed.get('sites', 0)))} sites "
        f"(one of them the empty archive site), {num(int(seed.get('posts', 0)))} published posts "
        f"(about 1,500 words of Markdown each) and {num(int(seed.get('products', 0)))} products. "
        "The deep-archive site is left empty: its posts would all belong to the first customer and "
        "put most random requests on one shard.",
        f"- {num(targets)} post addresses (`/posts/<slug>` on each site's primary domain), read from "
        "each database after seeding; the two lists are identical (checked).",
        f"- Database size after `VACUUM ANALYZE` (run on every node): single {num(seeded.get('database_bytes', 0) / 1048576)} MB; "
        f"the cluster's three nodes together {num((results.get('seed_citus') or {}).get('database_bytes', 0) / 1048576)} MB "
        "(each node also holds the `citus` extension's catalog and its own copy of the reference "
        "tables).",
        "",
        "## Commands",
        "",
        "```sh",
        "bench/citus",
        "# which runs, for each setup:",
        "agoat --database-url postgres://postgres@127.0.0.1:<port>/agoat_bench migrate",
        f"agoat --database-url … bench seed {machine.get('seed_args')} && VACUUM ANALYZE",
        "agoat --database-url … serve --no-migrate --bind 127.0.0.1:<free port>",
        f"bench/harness.py pages --address <single> --address <citus> --count {machine.get('cold_pages')}   # one site's post pages, one request at a time, from each server in turn",
        f"wrk -t2 -c32 -d2s -s bench/random-posts.lua http://127.0.0.1:<port> -- targets.txt   # warm-up",
        f"wrk {machine.get('wrk_settings')} -s bench/random-posts.lua http://127.0.0.1:<port> -- targets.txt",
        f"bench/harness.py post-save --times {machine.get('saves')}   # sign in, then GET /admin/posts/{{id}}/edit + POST /admin/posts/{{id}} each time",
        "```",
        "",
        "`bench/random-posts.lua` picks, for every request, one of the post addresses uniformly at "
        "random and sends it with its site's `Host` header, so every customer, site and shard is "
        "asked for alike.",
        "",
        "## Results",
        "",
        "| Measure | Single PostgreSQL | Citus: coordinator + 2 workers | Cluster ÷ single |",
        "|---|---:|---:|---:|",
    ]
    out += summary_rows(results, targets)
    out += [
        "",
        "Each round, run by run (single first, then Citus, then the next round):",
        "",
    ]
    out += round_rows(results, targets)
    out += [
        "",
        "### Page cache hits",
        "",
        "The server keeps a rendered page for 400 ms (`src/web/page_cache.rs`; a request in a "
        "page's last 100 ms renders its successor) and does not count its hits, so the run counts "
        "the renders in the database instead: every render of a post page looks its post up through "
        "the unique index `posts_slug_per_site` (the plans below), so renders = the growth of that "
        "index's `idx_scan` in `pg_stat_user_indexes` (summed over the workers' shards on Citus), "
        "read before the warm-up and 12 s after the run, once the backends have reported their "
        "counts. Check: the uncached pages above counted "
        f"{num(cold_single.get('renders'))} renders for {num(cold_single.get('pages'))} requests on "
        f"the single server and {num(cold_citus.get('renders'))} for {num(cold_citus.get('pages'))} "
        "on the cluster.",
        "",
        "Few requests are answered without a render, by design of the load: requests are spread "
        f"uniformly over {num(targets)} pages, so a page is asked for again within the 300 ms or so "
        "that a render is reused only by chance. At the measured rates a simple model (each page "
        "asked for at λ = requests/s ÷ pages; share without a render λ·T ÷ (1 + λ·T), T = 0.3 s) "
        f"expects {pct(expected[0])} on the single server and {pct(expected[1])} on the cluster. So "
        "nearly every request renders its page and goes to the database: this measures the database "
        "path, which is what differs between the setups. Real traffic is far from uniform: the "
        "pages people ask for most are hits, served without the database on either setup "
        "([BENCHMARKS.md](BENCHMARKS.md) measures those).",
        "",
        "## The post page's query on the cluster: one task",
        "",
        "`EXPLAIN (ANALYZE)` of the query behind `/posts/<slug>` (`content::posts::visible_by_slug`) "
        "through the coordinator, as the serving role `agoat_app` with the tenant set by "
        "`SET LOCAL app.customer_id` (as the server does), for the first customer's newest post:",
        "",
        "```",
        *plan(run_dir, "citus"),
        "```",
        "",
        "The coordinator finds the shard from `customer_id = …` and sends the whole query to the one "
        "worker that holds it (`Task Count: 1`); row-level security is applied there, on the shard "
        "(the `SET LOCAL` travels with the query). The same query on the single server:",
        "",
        "```",
        *plan(run_dir, "single"),
        "```",
        "",
    ]
    out += reading(results, machine)
    print("\n".join(out))


def connections_line(results, machine):
    parts = []
    for node in ("worker1", "worker2"):
        c = results.get(f"connections_{node}")
        if c:
            parts.append(f"{node} {c['connections']} (opened {c['oldest']}–{c['newest']} UTC)")
    if not parts:
        return ""
    return (" The coordinator keeps its connections to the workers open between requests: after "
            f"the runs ({machine.get('rounds_start')}–{machine.get('rounds_end')} UTC) the "
            f"workers had these `agoat_app` connections from it: {'; '.join(parts)}.")


def reading(results, machine):
    single = mean(r["rps"] for r in rounds_of(results, "single"))
    citus = mean(r["rps"] for r in rounds_of(results, "citus"))
    cold_single = (results.get("cold_single") or {}).get("median_ms")
    cold_citus = (results.get("cold_citus") or {}).get("median_ms")
    extra = (f" — here {cold_citus - cold_single:+.2f} ms per uncached page at the median, one "
             "request at a time"
             if cold_single is not None and cold_citus is not None else "")
    share = (f" Here the cluster served {citus / single:.2f}× the single server's requests per second."
             if single and citus else "")
    seed_single = (results.get("seed_single") or {}).get("seconds")
    seed_citus = (results.get("seed_citus") or {}).get("seconds")
    seeding = (f" ({seed_citus / seed_single:.1f}× the single server's time here)"
               if seed_single and seed_citus else "")
    return [
        "## What one machine can and cannot show about a cluster",
        "",
        "- **No added capacity can show here.** The coordinator, both workers, the app server and "
        "wrk share the same 2 cores, one disk and one page cache. A cluster adds CPU, memory and "
        "disk by adding machines; on one machine the two workers only split the same cores, so the "
        "cluster can at best match the single server, and in practice every request costs more "
        f"CPU in all.{share} These figures are not a forecast for a cluster of separate machines.",
        "- **What it does measure: the price of the cluster's path per query.** Each of a page's "
        "queries is planned twice (the coordinator plans the distributed query and finds the "
        "shard, the worker plans the shard's query) and crosses one more connection: app → "
        "coordinator → worker and back, with the remote transaction's begin and commit on the "
        "worker too. Each hand-off between processes is a wake-up that, on 2 busy cores, may wait "
        f"for a core{extra}; that figure moves with the machine's load. Between machines the hop "
        "is a network round trip (typically 0.1–0.5 ms within one data centre) per query instead of "
        "loopback, while each node has its own cores." + connections_line(results, machine),
        "- **Routing by customer works as designed.** Every public request is one customer's and "
        "every query names `customer_id`, so each query is one task on one worker (the plan above); "
        "no request fans out to every shard. The directory (customers, sites, domains) is made of "
        "reference tables, which the coordinator reads from its own copy without a hop. So the work "
        "per request does not grow with the number of workers, and on separate machines a cluster "
        "should add read and write capacity with its workers until the coordinator is the limit — "
        "which this machine cannot test: it would need the coordinator and each worker on cores of "
        "their own, and the load generator elsewhere.",
        "- **Saves.** A save is one read-write `SERIALIZABLE` transaction (the post, its revision, "
        "its audit event) on one customer's co-located shards, so on one worker; on Citus each of "
        "its statements goes through the coordinator, which accounts for the difference. "
        "`fsync = off` on every node: a real disk's flush would add the same to both.",
        "- **Bulk writes.** Seeding writes posts in multi-row `INSERT … SELECT FROM unnest(…)` "
        f"statements, which Citus runs through the coordinator{seeding}; `agoat migrate` on the "
        "cluster also places every table (creating its shards on the workers).",
        "- **Not measured here**: many app servers against one coordinator (its connection limits, "
        "`citus.max_shared_pool_size`), rebalancing under load (proved correct by `tests/citus/`, "
        "not timed), a data set larger than memory, and cached pages, which are the same on both "
        "setups (a page cache hit never reaches the database).",
        "",
    ]


if __name__ == "__main__":
    main()
