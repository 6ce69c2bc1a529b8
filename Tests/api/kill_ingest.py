#!/usr/bin/env python3
"""kill -9 of the server during event ingest: a client posts batches of events as fast as the
server takes them and notes each batch it got a 2xx for; the server is killed with SIGKILL at a
random moment; after a restart, every acknowledged event must be in the store, and no batch may
be there in part. Three rounds on one SQLite store. Run by scripts/test; needs a release build
of funnel (FUNNEL overrides its path). Standard library only."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

FUNNEL = os.environ.get("FUNNEL", ".build/release/funnel")
KEY = "kill-test-key"
BATCH = 200


def call(port, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=body,
                                     headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def start(store, port, log):
    server = subprocess.Popen([FUNNEL, "serve", "--store", store, "--port", str(port), "--api-key", KEY], stdout=log, stderr=log)
    for _ in range(200):
        try:
            if call(port, "GET", "/v1/health")[0] == 200:
                return server
        except (urllib.error.URLError, ConnectionError):
            pass
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode} before answering")
        time.sleep(0.05)
    sys.exit("the server did not start")


def main():
    generator = random.Random(int(os.environ.get("KILL_SEED", "7")))
    with tempfile.TemporaryDirectory() as work:
        store = os.path.join(work, "kill.sqlite")
        subprocess.run([FUNNEL, "simulate", "--users", "50", "--items", "100", "--authors", "10", "--days", "1", "--store", store],
                       check=True, stdout=subprocess.DEVNULL)
        items = [f"i{k}" for k in range(100)]
        log = open(os.path.join(work, "server.log"), "wb")
        acknowledged, refused, lost, partial = [], 0, 0, 0
        for round_ in range(3):
            port = generator.randrange(20000, 40000)
            server = start(store, port, log)
            stop = threading.Event()
            acked = []

            def ingest():
                nonlocal refused
                batch = 0
                while not stop.is_set():
                    user = f"kill-{round_}-{batch}"
                    events = [{"userID": user, "itemID": generator.choice(items), "type": "click",
                               "timestamp": "2026-01-01T00:00:00Z", "context": {"hour": k % 24}} for k in range(BATCH)]
                    try:
                        status, _ = call(port, "POST", "/v1/events", json.dumps(events).encode())
                        if 200 <= status < 300:
                            acked.append(user)
                        else:
                            refused += 1
                    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                        return  # the server is gone
                    batch += 1

            client = threading.Thread(target=ingest)
            client.start()
            time.sleep(generator.uniform(0.5, 2.0))
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            stop.set()
            client.join()
            acknowledged += acked
            # Restarted: every acknowledged batch whole; a batch in flight at the kill whole or absent.
            server = start(store, port, log)
            for user in acked:
                _, body = call(port, "GET", f"/v1/users/{user}/history?n=1000")
                found = len(json.loads(body))
                if found != BATCH:
                    lost += 1
                    print(f"round {round_}: {user} acknowledged but {found} of {BATCH} events stored", file=sys.stderr)
            in_flight = f"kill-{round_}-{len(acked)}"
            _, body = call(port, "GET", f"/v1/users/{in_flight}/history?n=1000")
            if len(json.loads(body)) not in (0, BATCH):
                partial += 1
                print(f"round {round_}: the batch in flight was stored in part", file=sys.stderr)
            server.send_signal(signal.SIGTERM)
            server.wait()
            print(f"round {round_}: killed after {len(acked)} acknowledged batches of {BATCH} events; all there after the restart"
                  if not lost and not partial else f"round {round_}: FAILED")
        log.close()
        if refused:
            print(f"{refused} batches refused (non-2xx) while the server ran", file=sys.stderr)
        ok = lost == 0 and partial == 0 and refused == 0 and len(acknowledged) > 0
        print(f"kill -9 during ingest: {len(acknowledged)} acknowledged batches ({len(acknowledged) * BATCH} events) over 3 rounds, "
              f"{lost} lost, {partial} partial, {refused} refused: {'ok' if ok else 'FAILED'}")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
