#!/usr/bin/env python3
"""Load on a running Funnel server at fixed request rates (open loop): each request has its
scheduled time, and its latency runs from that time to the end of the response, so a stalled
server is charged for the requests it delayed (no coordinated omission). Feeds go to random
users of the simulated world (u0 … u<users−1>); event ingest posts batches of 1,000 clicks.
With --reload-at, the first rate's run also, that many seconds in, runs --retrain (a command,
such as `funnel train ranker --store S`, which saves a new ranker) and then asks the server to
rebuild and swap its pipeline (POST /v1/admin/reload), or with --auto-reload waits for the
server to do so on its own, and reports how long both took while the feeds went on. Standard library only: asyncio over
keep-alive HTTP/1.1 connections.

    funnel quickstart --items 100000 --no-serve --store /tmp/load.sqlite
    funnel serve --store /tmp/load.sqlite --api-key KEY &
    python3 Benchmarks/feed_load.py --rates 200 500 1000 --duration 60 --key KEY --out Benchmarks/results/feed-load.md
"""
import argparse
import asyncio
import datetime
import gc
import json
import random
import time
import urllib.parse


class Connection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=b"", headers=()):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}", *headers, "", ""]
        self.writer.write("\r\n".join(head).encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def ready_pipeline(host, port):
    """The version of the pipeline the server is serving, from GET /v1/ready."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /v1/ready HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    body = (await reader.read()).split(b"\r\n\r\n", 1)[-1]
    writer.close()
    try:
        return json.loads(body).get("pipeline")
    except ValueError:
        return None


async def run_rate(url, rate, duration, connections, make_request, reload_at=None, key=None, retrain=None, auto_reload=False):
    parsed = urllib.parse.urlparse(url)
    # One pacer puts each request on a queue at its scheduled time; one worker per keep-alive
    # connection sends them. (A task per request, all created up front, kept tens of thousands
    # of sleeping tasks alive: the event loop and the garbage collector then delayed requests by
    # up to 150 ms on their own, and that delay was charged to the server.)
    due = asyncio.Queue()
    latencies, errors = [], 0
    start = time.perf_counter() + 0.1
    total = int(rate * duration)

    async def pacer():
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            due.put_nowait((i, scheduled))
        for _ in range(connections):
            due.put_nowait(None)

    async def worker():
        nonlocal errors
        connection = Connection(parsed.hostname, parsed.port or 80)
        while (job := await due.get()) is not None:
            i, scheduled = job
            try:
                status = await connection.request(*make_request(i))
                if not 200 <= status < 300:
                    errors += 1
            except Exception:
                errors += 1
                connection.close()
            latencies.append(time.perf_counter() - scheduled)
        connection.close()

    reload = {}

    async def reload_pipeline():
        await asyncio.sleep(reload_at)
        serving = await ready_pipeline(parsed.hostname, parsed.port or 80)
        if retrain:
            began = time.perf_counter()
            process = await asyncio.create_subprocess_shell(retrain, stdout=asyncio.subprocess.DEVNULL)
            reload.update(retrain_status=await process.wait(), retrain_seconds=time.perf_counter() - began)
        began = time.perf_counter()
        if auto_reload:
            # No admin call: the server notices the new model on its own and swaps it in.
            while await ready_pipeline(parsed.hostname, parsed.port or 80) == serving:
                await asyncio.sleep(0.5)
            reload.update(reload_status="on its own", reload_seconds=time.perf_counter() - began)
            return
        status = await Connection(parsed.hostname, parsed.port or 80).request("POST", "/v1/admin/reload", b"", (f"X-API-Key: {key}",))
        reload.update(reload_status=status, reload_seconds=time.perf_counter() - began)

    extra = [reload_pipeline()] if reload_at is not None else []
    gc.freeze()   # what exists now is never garbage: spare the collector from walking it
    await asyncio.gather(pacer(), *(worker() for _ in range(connections)), *extra)
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    return {"rate": rate, "requests": total, "achieved": total / elapsed, "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "max_ms": latencies[-1] * 1000, "errors": errors, **reload}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--rates", type=float, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=100_000, help="item ids i0 … for the ingest batches")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--key", help="API key: also measures event ingest in batches of --batch")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--ingest-seconds", type=float, default=20)
    parser.add_argument("--reload-at", type=float, help="seconds into the first rate's run to POST /v1/admin/reload (needs --key)")
    parser.add_argument("--retrain", help="a shell command run before the reload, e.g. 'funnel train ranker --store S'")
    parser.add_argument("--auto-reload", action="store_true",
                        help="after --retrain, send no reload request: wait for the server to swap in the new model on its own")
    parser.add_argument("--out")
    args = parser.parse_args()
    generator = random.Random(7)
    results = []
    for k, rate in enumerate(args.rates):
        feed = lambda i: ("GET", f"/v1/feed/u{generator.randrange(args.users)}?n=20")
        reload_at = args.reload_at if k == 0 and args.key else None
        result = asyncio.run(run_rate(args.url, rate, args.duration, args.connections, feed, reload_at, args.key, args.retrain, args.auto_reload))
        results.append(result)
        print(json.dumps(result))
    ingest = None
    if args.key:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        def batch(i):
            events = [{"userID": f"u{generator.randrange(args.users)}", "itemID": f"i{generator.randrange(args.items)}",
                       "type": "click", "timestamp": now} for _ in range(args.batch)]
            return ("POST", "/v1/events", json.dumps(events).encode(), (f"X-API-Key: {args.key}", "Content-Type: application/json"))

        async def closed_loop():
            # As fast as the server takes them, two batches in flight.
            parsed = urllib.parse.urlparse(args.url)
            done, errors, start = 0, 0, time.perf_counter()

            async def worker():
                nonlocal done, errors
                connection = Connection(parsed.hostname, parsed.port or 80)
                while time.perf_counter() - start < args.ingest_seconds:
                    status = await connection.request(*batch(done))
                    if 200 <= status < 300:
                        done += 1
                    else:
                        errors += 1
                connection.close()

            await asyncio.gather(worker(), worker())
            elapsed = time.perf_counter() - start
            return {"batches": done, "events_per_s": done * args.batch / elapsed, "errors": errors}

        ingest = asyncio.run(closed_loop())
        print(json.dumps(ingest))
    if args.out:
        lines = [f"Measured {datetime.date.today()} with `Benchmarks/feed_load.py` against `{args.url}` (open loop: latency from each "
                 f"request's scheduled time; random users among {args.users:,}; {args.connections} keep-alive connections; "
                 f"{args.duration:g} s per rate; load generator and server on the same 2-core machine).", "",
                 "| rate (req/s) | achieved | p50 (ms) | p99 (ms) | max (ms) | non-2xx or failed |", "|---:|---:|---:|---:|---:|---:|"]
        for r in results:
            lines.append(f"| {r['rate']:g} | {r['achieved']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | {r['errors']} |")
        for r in results:
            if "reload_status" in r:
                retrained = (f"`{args.retrain}` ran for {r['retrain_seconds']:.1f} s (exit {r['retrain_status']}), then "
                             if "retrain_seconds" in r else "")
                how = (f"the server noticed the new model on its own (no reload request), rebuilt the pipeline and swapped it in "
                       f"{r['reload_seconds']:.1f} s after the training ended" if args.auto_reload else
                       f"the pipeline rebuilt from the store and swapped in {r['reload_seconds']:.1f} s after the request (status {r['reload_status']})")
                lines += ["", f"Hot reload during the {r['rate']:g} req/s run, {args.reload_at:g} s in: {retrained}{how}, while that run's "
                              f"{r['requests']:,} feeds saw {r['errors']} non-2xx or failed responses."]
        if ingest:
            lines += ["", f"Event ingest, batches of {args.batch:,} clicks, two in flight, {args.ingest_seconds:g} s: "
                          f"**{ingest['events_per_s']:,.0f} events/s**, {ingest['errors']} errors."]
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
