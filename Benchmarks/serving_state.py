#!/usr/bin/env python3
"""What the server keeps between requests, shown over real HTTP against `funnel serve`:

  restart      kill -9 of the server and a restart: feeds shown before the kill, shown again after?
  two-servers  feeds alternating between two servers on one store: shown again by the other?
  fresh-item   under `funnel bench load`, how long until a new item is in /v1/latest and in the
               feed of a user who follows its author?

Each prints one JSON line. `--no-save` runs the same with `exposureSaveSeconds = 0` (the
control: filters in memory only). The store must hold a world (`funnel quickstart --no-serve`).

  python3 Benchmarks/serving_state.py restart --store postgres://postgres:postgres@127.0.0.1:5432/world
  python3 Benchmarks/serving_state.py two-servers --store postgres://postgres:postgres@127.0.0.1:5432/world
  python3 Benchmarks/serving_state.py fresh-item --store /tmp/world.sqlite --rate 500 [--user u68 --author a6]
"""
import argparse, datetime, json, os, signal, sqlite3, subprocess, tempfile, time, urllib.request

FUNNEL = os.path.join(os.path.dirname(__file__), "..", ".build", "release", "funnel")
KEY = "serving-state-key"


def call(base, path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-API-Key": KEY})
    with urllib.request.urlopen(request) as reply:
        return json.loads(reply.read())


def serve(store, port, no_save):
    arguments = [FUNNEL, "serve", "--store", store, "--api-key", KEY, "--port", str(port)]
    if no_save:
        config = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        config.write("[server]\nexposureSaveSeconds = 0.0\n")
        config.close()
        arguments += ["--config", config.name]
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            call(base, "/v1/ready")
            return process, base
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"the server on port {port} did not get ready")


def feed(base, user, n=10):
    return [entry["item"] for entry in call(base, f"/v1/feed/{user}?n={n}")["items"]]


def restart(args):
    users = [f"u{k}" for k in range(1, 300, 5)]
    process, base = serve(args.store, args.port, args.no_save)
    before = {user: set(feed(base, user)) for user in users}
    time.sleep(0.5)   # past one save (every 0.2 s by default)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process, base = serve(args.store, args.port, args.no_save)
    again = sum(len(before[user].intersection(feed(base, user))) for user in users)
    process.terminate()
    process.wait()
    return {"users": len(users), "shown_before_kill": sum(map(len, before.values())), "shown_again_after_restart": again}


def two_servers(args):
    servers = [serve(args.store, args.port, args.no_save), serve(args.store, args.port + 1, args.no_save)]
    users = [f"u{k}" for k in range(0, 200, 7)]
    shown = {user: set() for user in users}
    again = served = 0
    for round in range(6):
        base = servers[round % 2][1]
        for user in users:
            items = feed(base, user)
            again += len(shown[user].intersection(items))
            served += len(items)
            shown[user].update(items)
        time.sleep(1.5)   # past a save (0.2 s) and the other server's refresh (1 s)
    for process, _ in servers:
        process.terminate()
        process.wait()
    return {"users": len(users), "feeds": 6 * len(users), "items_served": served, "shown_again": again}


def follower(store):
    """A user whose follow of an author is among their last actions, and that author."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    for user, item, ts in db.execute("SELECT user_id, item_id, ts FROM events WHERE type = 'follow-author' ORDER BY ts DESC LIMIT 500"):
        later = db.execute("SELECT COUNT(*) FROM events WHERE user_id = ? AND ts > ? AND type != 'exposure'", (user, ts)).fetchone()[0]
        if later < 20:
            return user, json.loads(db.execute("SELECT data FROM items WHERE id = ?", (item,)).fetchone()[0])["authorID"]
    raise SystemExit("no recent follow-author event in the store")


def fresh_item(args):
    user, author = (args.user, args.author) if args.user and args.author else follower(args.store)
    process, base = serve(args.store, args.port, args.no_save)
    load = subprocess.Popen([FUNNEL, "bench", "load", "--url", base, "--rates", str(args.rate), "--duration", "40",
                             "--server-pid", str(process.pid)], stdout=subprocess.PIPE, text=True)
    time.sleep(10)
    trials = []
    for trial in range(3):
        item = f"fresh-{int(time.time())}-{trial}"
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        start = time.monotonic()
        call(base, "/v1/items", [{"id": item, "authorID": author, "categories": ["fresh"], "createdAt": created}])
        seen = {"acknowledged_s": round(time.monotonic() - start, 4)}
        while time.monotonic() - start < 10 and ("latest_s" not in seen or "feed_s" not in seen):
            if "latest_s" not in seen and item in call(base, "/v1/latest?n=5")["items"]:
                seen["latest_s"] = round(time.monotonic() - start, 4)
            if "feed_s" not in seen:
                for rank, entry in enumerate(call(base, f"/v1/feed/{user}?n=50&explain=true")["items"]):
                    if entry["item"] == item:
                        seen.update(feed_s=round(time.monotonic() - start, 4), feed_rank=rank + 1,
                                    channels=[c["channel"] for c in entry.get("channels", [])])
            time.sleep(0.05)
        trials.append(seen)
        time.sleep(5)
    report = json.loads(load.communicate()[0].splitlines()[0])
    process.terminate()
    process.wait()
    return {"user": user, "author": author, "trials": trials,
            "load": {k: report[k] for k in ("rate", "achieved", "p50_ms", "p99_ms", "errors")}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["restart", "two-servers", "fresh-item"])
    parser.add_argument("--store", required=True)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--user", help="fresh-item: the follower to watch (with --author; default: one whose follow is recent)")
    parser.add_argument("--author", help="fresh-item: the author the new items are by")
    args = parser.parse_args()
    print(json.dumps({"restart": restart, "two-servers": two_servers, "fresh-item": fresh_item}[args.what](args)))
